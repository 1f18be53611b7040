package dev.herald.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * S2, request framing over a raw socket: a request whose body length is ambiguous (Content-Length with
 * Transfer-Encoding, two lengths, an unknown or repeated coding, a folded header, a signed length) is refused
 * with a 4xx or 501 and {@code Connection: close}, and nothing of it is stored, so no second request can be
 * smuggled in its body. An HTTP/1.0 request with Transfer-Encoding is refused or dropped. Two well-framed
 * requests pipelined on one connection are both answered, in order. Oversized bodies, bad chunk sizes and
 * header limits are in {@code BadInputTest}; slow clients in {@code SlowClientTest}.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class HttpFramingTest {
  private static final Duration WAIT = Duration.ofSeconds(20);
  private static final Pattern STATUS = Pattern.compile("^HTTP/1\\.1 (\\d{3}) ");
  private final TestSink sink = TestSink.start();
  private final TestServer herald = TestServer.start();

  @AfterEach
  void stop() {
    herald.close();
    sink.close();
  }

  @ParameterizedTest
  @ValueSource(strings = {
      "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
      "Transfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
      "Content-Length: 5\r\nContent-Length: 6\r\n\r\nhello!",
      "Content-Length: 5, 6\r\n\r\nhello!",
      "Content-Length: -1\r\n\r\nhello",
      "Content-Length: +5\r\n\r\nhello",
      "Transfer-Encoding: chunkedx\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
      "Transfer-Encoding: gzip, chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
      "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
      "X-Folded: a\r\n  b\r\nContent-Length: 5\r\n\r\nhello"})
  void an_ambiguously_framed_request_is_refused_the_connection_closed_and_nothing_stored(String rest) throws IOException {
    String answer = raw(publishHead("/smuggled", "1.1") + rest + publishHead("/smuggled-second", "1.1")
        + "Content-Length: 1\r\n\r\nx");

    assertThat(status(answer)).as(answer).satisfiesAnyOf(s -> assertThat(s).isBetween(400, 499), s -> assertThat(s).isEqualTo(501));
    assertThat(answer).containsIgnoringCase("Connection: close").contains("\"error\"");
    assertThat(answer.split("HTTP/1\\.1 ", -1)).as("one answer on the connection").hasSize(2);
    if (status(answer) == 501) assertThat(answer).contains("transfer coding not supported");
    assertNothingStored("/smuggled", "/smuggled-second");
  }

  @Test
  void an_http_1_0_request_with_transfer_encoding_is_refused_or_dropped() throws IOException {
    String answer = raw(publishHead("/old", "1.0") + "Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n");

    if (!answer.isEmpty()) assertThat(status(answer)).as(answer).isBetween(400, 499);
    assertNothingStored("/old");
  }

  @Test
  void two_requests_pipelined_on_one_connection_are_both_answered_in_order() throws IOException {
    String answer = raw(publishHead("/p1", "1.1") + "Content-Length: 3\r\n\r\none"
        + publishHead("/p2", "1.1") + "Content-Length: 3\r\n\r\ntwo");

    assertThat(answer.split("HTTP/1\\.1 200 ", -1)).as(answer).hasSize(3);
    assertThat(answer.indexOf(sink.url("/p1"))).isLessThan(answer.indexOf(sink.url("/p2")));
    assertThat(new String(sink.awaitRequests("/p1", 1, WAIT).get(0).body())).isEqualTo("one");
    assertThat(new String(sink.awaitRequests("/p2", 1, WAIT).get(0).body())).isEqualTo("two");
  }

  private String publishHead(String path, String version) {
    return "POST /v2/publish/" + sink.url(path) + " HTTP/" + version + "\r\nHost: x\r\nAuthorization: Bearer "
        + TestServer.TOKEN + "\r\n";
  }

  /** Sends the bytes, half-closes, and reads everything the server answers until it closes. */
  private String raw(String request) throws IOException {
    try (Socket s = new Socket(InetAddress.getLoopbackAddress(), herald.app().port())) {
      s.setSoTimeout(30_000);
      s.getOutputStream().write(request.getBytes(StandardCharsets.US_ASCII));
      s.shutdownOutput();
      return new String(s.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
    }
  }

  private static int status(String answer) {
    Matcher m = STATUS.matcher(answer);
    return m.find() ? Integer.parseInt(m.group(1)) : -1;
  }

  /** A good message published afterwards is delivered; by then a stored bad one (due at once) would have been too. */
  private void assertNothingStored(String... paths) {
    TestServer.idOf(herald.publish(sink.url("/good"), "good"));
    sink.awaitRequests("/good", 1, WAIT);
    for (String p : paths) assertThat(sink.requests(p)).as(p).isEmpty();
  }
}
