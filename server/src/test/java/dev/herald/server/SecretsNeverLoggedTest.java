package dev.herald.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.herald.server.TestSink.Reply;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * S11 and design rule D10: the API token, both signing keys and a forwarded Authorization value
 * never reach Herald's output, whatever happens (good and bad requests, a 401, failing deliveries,
 * the DLQ), with Herald's own loggers at DEBUG. The whole stdout and stderr of a real
 * {@code herald serve} process is scanned.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class SecretsNeverLoggedTest {
  private static final String TOKEN = "tok-SECRET-7f3a9c1e2b";
  private static final String CURRENT = "sig_SECRETcurrentKey4d8e2a";
  private static final String NEXT = "sig_SECRETnextKey9b1c7f";
  private static final String FORWARDED = "fwd-SECRET-bearer-5e6f7a";

  @TempDir
  Path data;

  private final TestSink sink = TestSink.start();
  private final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
      .connectTimeout(Duration.ofSeconds(5)).build();
  private HeraldProcess herald;

  @AfterEach
  void stop() {
    if (herald != null) herald.close();
    sink.close();
  }

  @Test
  void tokens_signing_keys_and_forwarded_authorization_never_appear_in_the_output() throws Exception {
    Path logback = data.resolveSibling(data.getFileName() + "-logback.xml");
    Files.writeString(logback, """
        <configuration>
          <appender name="OUT" class="ch.qos.logback.core.ConsoleAppender">
            <encoder><pattern>%d{HH:mm:ss.SSS} %-5level %logger{20} - %msg%n</pattern></encoder>
          </appender>
          <logger name="dev.herald" level="DEBUG"/>
          <root level="INFO"><appender-ref ref="OUT"/></root>
        </configuration>
        """);
    herald = HeraldProcess.serve(data, Map.of("HERALD_HOST", "127.0.0.1", "HERALD_TOKEN", TOKEN,
        "HERALD_CURRENT_SIGNING_KEY", CURRENT, "HERALD_NEXT_SIGNING_KEY", NEXT, "HERALD_EGRESS_ALLOW", "127.0.0.0/8"),
        List.of("-Dlogback.configurationFile=" + logback));
    sink.on("/fail", n -> Reply.of(500));

    assertThat(publish("/ok", "Authorization", "Bearer " + TOKEN, "Upstash-Forward-Authorization", "Bearer " + FORWARDED)
        .statusCode()).isEqualTo(200);
    assertThat(send(post("/v2/publish/" + sink.url("/ok-query") + "?qstash_token=" + TOKEN)).statusCode()).isEqualTo(200);
    assertThat(publish("/fail", "Authorization", "Bearer " + TOKEN, "Upstash-Forward-Authorization", "Bearer " + FORWARDED,
        "Upstash-Retries", "1", "Upstash-Retry-Delay", "10").statusCode()).isEqualTo(200);
    assertThat(publish("/bad", "Authorization", "Bearer " + TOKEN, "Upstash-Delay", "nonsense",
        "Upstash-Forward-Authorization", "Bearer " + FORWARDED).statusCode()).isEqualTo(400);
    assertThat(publish("/anon", "Authorization", "Bearer " + TOKEN + "-wrong").statusCode()).isEqualTo(401);
    assertThat(send(post("/v2/publish/" + sink.url("/q") + "?qstash_token=" + TOKEN + "x")).statusCode()).isEqualTo(401);
    assertThat(publish("/bad", "Authorization", "Bearer " + TOKEN, "Upstash-Callback", "http://169.254.169.254/"
        + FORWARDED).statusCode()).isEqualTo(400);
    assertThat(send(HttpRequest.newBuilder(URI.create(herald.base() + "/v2/keys")).header("Authorization", "Bearer " + TOKEN)
        .GET()).body()).contains(CURRENT); // the keys endpoint is the one place they are shown, to the owner
    assertThat(send(HttpRequest.newBuilder(URI.create(herald.base() + "/v2/dlq")).header("Authorization", "Bearer " + TOKEN)
        .GET()).statusCode()).isEqualTo(200);

    sink.awaitRequests("/ok", 1, Duration.ofSeconds(30));
    sink.awaitRequests("/fail", 2, Duration.ofSeconds(30));
    assertThat(sink.requests("/ok").get(0).header("Authorization")).isEqualTo("Bearer " + FORWARDED);
    org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> send(HttpRequest.newBuilder(
        URI.create(herald.base() + "/v2/dlq")).header("Authorization", "Bearer " + TOKEN).GET()).body().contains("/fail"));
    herald.stop(Duration.ofSeconds(30));

    String output = String.join("\n", herald.output());
    assertThat(output).contains("running at");
    for (String secret : List.of(TOKEN, CURRENT, NEXT, FORWARDED, "SECRET")) {
      assertThat(output).as("output of herald serve").doesNotContain(secret);
    }
  }

  private HttpResponse<String> publish(String path, String... headers) throws IOException, InterruptedException {
    HttpRequest.Builder b = post("/v2/publish/" + sink.url(path));
    for (int i = 0; i < headers.length; i += 2) b.header(headers[i], headers[i + 1]);
    return send(b);
  }

  private HttpRequest.Builder post(String pathAndQuery) {
    return HttpRequest.newBuilder(URI.create(herald.base() + pathAndQuery)).timeout(Duration.ofSeconds(20))
        .POST(HttpRequest.BodyPublishers.ofString("body"));
  }

  private HttpResponse<String> send(HttpRequest.Builder b) throws IOException, InterruptedException {
    return client.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }
}
