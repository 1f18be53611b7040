package dev.herald.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.herald.server.TestSink.Received;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * S8, what a publisher may make Herald send: a forwarded {@code Upstash-Signature} never replaces or joins
 * Herald's own (the destination sees one signature, made with the signing key), and forwarded framing and
 * hop-by-hop headers ({@code Host}, {@code Content-Length}, {@code Transfer-Encoding}, {@code Connection},
 * {@code Upgrade}, {@code TE}, {@code Trailer}, {@code Keep-Alive}) are refused at publish or dropped, through
 * {@code Upstash-Forward-*} and through a batch item's headers alike, so each message is one well-framed request.
 * CR/LF in batch header values is in {@code BadInputTest}, hop-by-hop dropping in {@code DestinationBehaviourTest}.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ForwardedHeaderPolicyTest {
  private static final Duration WAIT = Duration.ofSeconds(20);
  private final TestSink sink = TestSink.start();
  private final TestServer herald = TestServer.start();

  @AfterEach
  void stop() {
    herald.close();
    sink.close();
  }

  @Test
  void a_forwarded_upstash_signature_never_reaches_the_destination_as_a_signature() throws Exception {
    HttpResponse<String> r = herald.publish(sink.url("/sig"), "x", "Upstash-Forward-Upstash-Signature", "spoofed.jwt.value");
    String batch = "[{\"destination\":\"" + sink.url("/sig") + "\",\"body\":\"y\",\"headers\":{\"Upstash-Forward-Upstash-Signature\":\"spoofed.jwt.value\"}}]";
    HttpResponse<String> b = herald.post("/v2/batch", batch, "Content-Type", "application/json");

    int accepted = (r.statusCode() == 200 ? 1 : 0) + (TestServer.json(b).get(0).has("messageId") ? 1 : 0);
    assertThat(r.statusCode()).as(r.body()).isIn(200, 400);
    herald.awaitWitness(sink, WAIT);
    List<Received> got = sink.awaitRequests("/sig", accepted, WAIT);
    assertThat(got).hasSize(accepted);
    for (Received d : got) {
      assertThat(d.headers().get("upstash-signature")).as("signatures sent").hasSize(1);
      assertThat(d.header("Upstash-Signature")).isNotEqualTo("spoofed.jwt.value");
      String[] jwt = d.header("Upstash-Signature").split("\\.");
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(TestServer.CURRENT_KEY.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
      assertThat(Base64.getUrlDecoder().decode(jwt[2])).isEqualTo(mac.doFinal((jwt[0] + "." + jwt[1]).getBytes(StandardCharsets.US_ASCII)));
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"Host:evil.example", "Content-Length:1", "Transfer-Encoding:chunked", "Connection:close, X-Drop",
      "Upgrade:websocket", "TE:trailers", "Trailer:X-Late", "Keep-Alive:timeout=1", "Proxy-Connection:keep-alive"})
  void a_forwarded_framing_or_hop_by_hop_header_is_refused_or_dropped(String header) {
    String name = header.substring(0, header.indexOf(':'));
    String value = header.substring(header.indexOf(':') + 1);
    HttpResponse<String> r = herald.publish(sink.url("/hop"), "body", "Upstash-Forward-" + name, value);
    String batch = "[{\"destination\":\"" + sink.url("/hop") + "\",\"body\":\"body\",\"headers\":{\"Upstash-Forward-" + name
        + "\":\"" + value + "\"}}]";
    HttpResponse<String> b = herald.post("/v2/batch", batch, "Content-Type", "application/json");

    assertThat(r.statusCode()).as(r.body()).isIn(200, 400);
    int accepted = (r.statusCode() == 200 ? 1 : 0) + (TestServer.json(b).get(0).has("messageId") ? 1 : 0);
    herald.awaitWitness(sink, WAIT);
    List<Received> got = sink.awaitRequests("/hop", accepted, WAIT);
    assertThat(got).as("one request per accepted message").hasSize(accepted);
    for (Received d : got) {
      assertThat(new String(d.body(), StandardCharsets.UTF_8)).isEqualTo("body");
      assertThat(d.header(name)).as(name).satisfiesAnyOf(v -> assertThat(v).isNull(), v -> assertThat(v).isNotEqualTo(value));
      assertThat(d.header("Host")).isEqualTo("127.0.0.1:" + sink.port());
    }
    assertThat(sink.requests()).filteredOn(x -> !x.path().startsWith("/witness") && !x.path().equals("/hop")).isEmpty();
  }
}
