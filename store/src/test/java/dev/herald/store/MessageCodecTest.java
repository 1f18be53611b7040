package dev.herald.store;

import static org.assertj.core.api.Assertions.assertThat;

import dev.herald.core.message.Headers;
import dev.herald.core.message.Message;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class MessageCodecTest {
  private static final Instant T0 = Instant.parse("2026-03-29T00:30:00Z");

  private static Message message(String method, Map<String, List<String>> headers, byte[] body) {
    return new Message("msg_1", "https://example.com/hook", null, null, null, null, method, Headers.of(headers), body,
        3, "pow(2, retried) * 1000", 5_000L, "https://example.com/cb",
        Headers.of(Map.of("Upstash-Callback-Method", List.of("PUT"))), null, Headers.EMPTY, List.of("a", "b"), null,
        null, 0, 0, 0, T0.plusSeconds(60), T0, "127.0.0.1", 0, 0, null, null);
  }

  private static Message roundTrip(Message m) {
    return MessageCodec.decode(m.id(), 0, 0, T0.toEpochMilli(), m.url(), null, null, null, m.callerIp(), null,
        MessageCodec.spec(m), m.body());
  }

  @Test
  void table_strings_and_plain_strings_read_back_as_written() {
    Map<String, List<String>> headers = Map.of("Content-Type", List.of("application/json"),
        "X-Custom", List.of("application/json", "plain value", ""), "Authorization", List.of("Bearer x"));
    Message m = message("POST", headers, new byte[] {1, 2, 3});
    Message back = roundTrip(m);
    assertThat(back.method()).isEqualTo("POST");
    assertThat(back.headers().map()).isEqualTo(headers);
    assertThat(back.callbackConfig().map()).isEqualTo(m.callbackConfig().map());
    assertThat(back.labels()).containsExactly("a", "b");
    assertThat(back.retryDelayExpression()).isEqualTo("pow(2, retried) * 1000");
    assertThat(back.timeoutMillis()).isEqualTo(5_000L);
    assertThat(back.notBefore()).isEqualTo(T0.plusSeconds(60));
    assertThat(back.body()).containsExactly(1, 2, 3);
  }

  @Test
  void a_string_from_the_table_takes_one_byte() {
    Message common = message("POST", Map.of("Content-Type", List.of("application/json")), new byte[0]);
    Message rare = message("PROPFIND", Map.of("Content-Tipe", List.of("application/jsom")), new byte[0]);
    int saved = ("PROPFIND".length() + "Content-Tipe".length() + "application/jsom".length());
    assertThat(MessageCodec.spec(rare).length - MessageCodec.spec(common).length).isEqualTo(saved);
    assertThat(roundTrip(rare).method()).isEqualTo("PROPFIND");
  }
}
