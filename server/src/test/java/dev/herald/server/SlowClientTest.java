package dev.herald.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Slow clients (S2's slowloris case): a client that stops sending in the middle of a request is
 * disconnected after {@code server.read-timeout}, whether it stalls in the headers or in the body, and
 * also in the body of a request that was refused (which Herald reads after answering, to keep the
 * connection). The negative cases wait up to 30 s for the server to hang up (it never would without
 * the timeout, so the bound only keeps a regression from hanging the build). A client that keeps
 * sending, however slowly, and a kept-alive connection idle between requests are not cut off.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class SlowClientTest {
  private static final String PUBLISH = "POST /v2/publish/http://127.0.0.1:9/x HTTP/1.1\r\nHost: x\r\nUpstash-Retries: 0\r\n";
  private static final String AUTHORIZED = "Authorization: Bearer " + TestServer.TOKEN + "\r\n";
  private TestServer herald;

  @AfterEach
  void stop() {
    if (herald != null) herald.close();
  }

  @Test
  void a_client_that_stalls_in_the_headers_is_disconnected() throws IOException {
    herald = TestServer.start(Map.of("server.read-timeout", "1s"));

    assertThat(hangsUp(PUBLISH)).isTrue();
  }

  @Test
  void a_client_that_stalls_in_the_body_is_disconnected() throws IOException {
    herald = TestServer.start(Map.of("server.read-timeout", "1s"));

    assertThat(hangsUp(PUBLISH + AUTHORIZED + "Content-Length: 100\r\n\r\nonly part of it")).isTrue();
  }

  @Test
  void a_client_that_stalls_in_the_body_of_a_refused_request_is_disconnected() throws IOException {
    herald = TestServer.start(Map.of("server.read-timeout", "1s"));

    assertThat(hangsUp(PUBLISH + "Content-Length: 100\r\n\r\nno token, and only part of it")).isTrue();
  }

  @Test
  void a_client_that_sends_its_body_slowly_but_steadily_is_answered() throws Exception {
    // 16 pieces 250 ms apart: twice the read timeout in all, never more than an eighth of it without data
    herald = TestServer.start(Map.of("server.read-timeout", "2s"));
    byte[] body = "0123456789abcdef".repeat(3).getBytes(StandardCharsets.US_ASCII);
    try (Socket s = connect()) {
      OutputStream out = s.getOutputStream();
      out.write((PUBLISH + AUTHORIZED + "Content-Length: " + body.length + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
      out.flush();
      for (int i = 0; i < body.length; i += 3) {
        Thread.sleep(250);
        out.write(body, i, 3);
        out.flush();
      }

      assertThat(status(s.getInputStream())).isEqualTo(200);
    }
  }

  @Test
  void a_kept_alive_connection_idle_between_requests_is_not_cut_off_by_the_read_timeout() throws Exception {
    herald = TestServer.start(Map.of("server.read-timeout", "1s")); // idle-timeout stays 60 s
    String request = PUBLISH + AUTHORIZED + "Content-Length: 5\r\n\r\nhello";
    try (Socket s = connect()) {
      s.getOutputStream().write(request.getBytes(StandardCharsets.US_ASCII));
      assertThat(status(s.getInputStream())).isEqualTo(200);

      Thread.sleep(3000); // three read timeouts
      s.getOutputStream().write(request.getBytes(StandardCharsets.US_ASCII));

      assertThat(status(s.getInputStream())).isEqualTo(200);
    }
  }

  @Test
  void a_kept_alive_connection_idle_for_longer_than_the_idle_timeout_is_closed() throws Exception {
    // Helidon's own idle check runs every 2 minutes unless told otherwise: the 30 s bound of hangsUp fails then
    herald = TestServer.start(Map.of("server.idle-timeout", "2s"));

    assertThat(hangsUp(PUBLISH + AUTHORIZED + "Content-Length: 5\r\n\r\nhello")).isTrue();
  }

  @Test
  void a_client_that_stops_reading_a_large_answer_is_disconnected() throws Exception {
    // an answer far larger than both sockets' buffers: GET /v2/messages of a message with a 12 MiB body
    herald = TestServer.start(Map.of("server.read-timeout", "1s", "limits.max-body-bytes", "16777216"));
    String id = TestServer.idOf(herald.publish("http://127.0.0.1:9/x", "x".repeat(12 << 20), "Upstash-Delay", "1h"));
    // a client that reads gets it whole (it goes out in pieces)
    assertThat(TestServer.json(herald.get("/v2/messages/" + id)).get("body").asString()).hasSize(12 << 20);
    String get = "GET /v2/messages/" + id + " HTTP/1.1\r\nHost: x\r\n" + AUTHORIZED + "\r\n";
    try (Socket s = new Socket()) {
      s.setReceiveBufferSize(4096);
      s.connect(new java.net.InetSocketAddress(InetAddress.getLoopbackAddress(), herald.app().port()));
      s.setSoTimeout(30_000);
      s.getOutputStream().write(get.getBytes(StandardCharsets.US_ASCII));
      Thread.sleep(8000); // takes nothing for eight read timeouts

      InputStream in = s.getInputStream();
      String head = readHead(in);
      long declared = contentLength(head);
      long got = 0;
      try {
        for (int n; (n = in.read(new byte[65536])) >= 0; ) got += n;
      } catch (IOException reset) {
        // hung up on: what was in flight may be lost
      }
      assertThat(declared).isGreaterThan(12 << 20);
      assertThat(got).as("bytes of the answer received before the connection ended").isLessThan(declared);
    }
  }

  @Test
  void a_request_refused_before_its_100_continue_closes_the_connection() throws Exception {
    herald = TestServer.start();
    try (Socket s = connect()) {
      s.getOutputStream().write((PUBLISH + "Expect: 100-continue\r\nContent-Length: 5\r\n\r\n")
          .getBytes(StandardCharsets.US_ASCII)); // no token: refused without asking for the body
      InputStream in = s.getInputStream();
      String head = readHead(in);
      assertThat(head).startsWith("HTTP/1.1 401").containsIgnoringCase("connection: close");
      in.readNBytes(contentLength(head));
      // a client that sends the body anyway must not have it read as its next request
      int next;
      try {
        s.getOutputStream().write("hello".getBytes(StandardCharsets.US_ASCII));
        s.getOutputStream().write("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
        next = in.read();
      } catch (SocketTimeoutException stillOpen) {
        next = -2;
      } catch (IOException closed) { // reset, or a broken pipe while sending
        next = -1;
      }
      assertThat(next).as("nothing after the 401: the connection is closed").isEqualTo(-1);
    }
  }

  private Socket connect() throws IOException {
    Socket s = new Socket(InetAddress.getLoopbackAddress(), herald.app().port());
    s.setSoTimeout(30_000);
    return s;
  }

  /** Sends {@code partial}, then nothing: true when the server closes the connection (any answer first is fine). */
  private boolean hangsUp(String partial) throws IOException {
    try (Socket s = connect()) {
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

  /** Reads one response (headers and a Content-Length body) and returns its status. */
  private static int status(InputStream in) throws IOException {
    String head = readHead(in);
    int length = contentLength(head);
    assertThat(in.readNBytes(length)).hasSize(length);
    return Integer.parseInt(head.substring(9, 12));
  }

  private static int contentLength(String head) {
    for (String line : head.split("\r\n")) {
      if (line.regionMatches(true, 0, "Content-Length:", 0, 15)) return Integer.parseInt(line.substring(15).trim());
    }
    return 0;
  }

  private static String readHead(InputStream in) throws IOException {
    ByteArrayOutputStream head = new ByteArrayOutputStream();
    int matched = 0;
    while (matched < 4) {
      int b = in.read();
      if (b < 0) throw new IOException("connection closed after " + head.size() + " bytes of a response");
      head.write(b);
      matched = b == "\r\n\r\n".charAt(matched) ? matched + 1 : (b == '\r' ? 1 : 0);
    }
    return head.toString(StandardCharsets.US_ASCII);
  }
}
