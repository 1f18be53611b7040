package dev.herald.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Disabled;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Slow clients (S2's slowloris case): a client that stops sending in the middle of a request is
 * disconnected after {@code server.read-timeout}, whether it stalls in the headers or in the body.
 * The read timeout here is 1 s; the test waits up to 40 s for the server to hang up (it never would
 * without the timeout, so the bound only keeps a regression from hanging the build).
 *
 * <p>Disabled because it fails: both cases are still connected after 40 s. Helidon 4.5 does not apply
 * the read timeout of {@code connectionOptions} to the connections it accepts, and its idle-connection
 * check only interrupts connections that are waiting for, or reading, a request line.
 * docs/guarantees.md (section 7) states the gap; enable this test with the fix.
 */
@Disabled("server.read-timeout is not enforced on accepted connections (Helidon 4.5); see docs/guarantees.md, section 7")
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class SlowClientTest {
  private final TestServer herald = TestServer.start(Map.of("server.read-timeout", "1s"));

  @AfterEach
  void stop() {
    herald.close();
  }

  @Test
  void a_client_that_stalls_in_the_headers_is_disconnected() throws IOException {
    assertThat(hangsUp("POST /v2/publish/http://127.0.0.1:9/x HTTP/1.1\r\nHost: x\r\n")).isTrue();
  }

  @Test
  void a_client_that_stalls_in_the_body_is_disconnected() throws IOException {
    assertThat(hangsUp("POST /v2/publish/http://127.0.0.1:9/x HTTP/1.1\r\nHost: x\r\n"
        + "Authorization: Bearer " + TestServer.TOKEN + "\r\nContent-Length: 100\r\n\r\nonly part of it")).isTrue();
  }

  /** Sends {@code partial}, then nothing: true when the server closes the connection (any answer first is fine). */
  private boolean hangsUp(String partial) throws IOException {
    try (Socket s = new Socket(InetAddress.getLoopbackAddress(), herald.app().port())) {
      s.setSoTimeout(40_000);
      s.getOutputStream().write(partial.getBytes(StandardCharsets.US_ASCII));
      s.getOutputStream().flush();
      InputStream in = s.getInputStream();
      try {
        while (in.read() >= 0) {
          // an error answer may come first; the point is that the connection ends
        }
        return true;
      } catch (SocketTimeoutException stillOpen) {
        return false;
      } catch (IOException reset) {
        return true;
      }
    }
  }
}
