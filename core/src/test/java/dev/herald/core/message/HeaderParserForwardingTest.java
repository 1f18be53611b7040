package dev.herald.core.message;

import static dev.herald.core.message.HeaderParserTest.PARSER;
import static dev.herald.core.message.HeaderParserTest.headers;
import static dev.herald.core.message.HeaderParserTest.parse;
import static dev.herald.core.message.HeaderParserTest.rejected;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class HeaderParserForwardingTest {

  @Test
  void forward_headers_lose_their_prefix_and_get_canonical_names() {
    MessageOptions o = parse("Upstash-Forward-my-header", "v1", "upstash-forward-Authorization", "Bearer x",
        "Content-Type", "application/json");
    assertThat(o.headers().map()).containsExactly(
        java.util.Map.entry("My-Header", List.of("v1")),
        java.util.Map.entry("Authorization", List.of("Bearer x")),
        java.util.Map.entry("Content-Type", List.of("application/json")));
  }

  @Test
  void forwarding_a_header_the_http_client_owns_is_silently_dropped() {
    assertThat(parse("Upstash-Forward-Host", "evil", "Upstash-Forward-Content-Length", "3").headers().isEmpty()).isTrue();
  }

  @ParameterizedTest
  @ValueSource(strings = {"Upstash-Forward-Host:evil.example", "Upstash-Forward-X Y", "Upstash-Forward-X\r\nHost",
      "Upstash-Forward-Ünicode", "Upstash-Forward-(x)", "X:Y", "Upstash-Callback-Forward-A:B", ""})
  void a_header_name_http_cannot_carry_is_rejected(String name) { // batch items can spell anything in JSON
    rejected("is not a valid HTTP header name", name, "x");
  }

  @ParameterizedTest
  @ValueSource(strings = {"a\r\nHost: evil", "a\nb", "a\rb", "a\u0000b"})
  void a_header_value_with_a_line_break_or_nul_is_rejected(String value) {
    rejected("must not contain CR, LF or NUL", "Upstash-Forward-X", value);
    rejected("must not contain CR, LF or NUL", "Upstash-Retries", value);
  }

  @Test
  void every_token_character_is_a_valid_header_name() {
    assertThat(parse("Upstash-Forward-a!#$%&'*+-.^_`|~9Z", "v").headers().first("a!#$%&'*+-.^_`|~9z")).isEqualTo("v");
  }

  @Test
  void a_forward_prefix_without_a_name_is_rejected() {
    rejected("Upstash-Forward-", "Upstash-Forward-", "x");
  }

  @Test
  void plain_request_headers_are_not_forwarded_by_default() {
    MessageOptions o = parse("Authorization", "Bearer token", "X-Custom", "1", "Upstash-Telemetry-Sdk", "js");
    assertThat(o.headers().isEmpty()).isTrue();
  }

  @Test
  void header_forward_true_forwards_all_plain_headers_except_ours_and_hop_by_hop() {
    MessageOptions o = parse("Upstash-Header-Forward", "true", "X-GitHub-Event", "push", "Authorization", "Bearer t",
        "Host", "herald.local", "Content-Length", "12", "Connection", "keep-alive", "Transfer-Encoding", "chunked",
        "Proxy-Authorization", "x", "Upstash-Telemetry-Sdk", "js", "Upstash-Retries", "1", "Content-Type", "text/plain");
    assertThat(o.headers().map()).containsOnlyKeys("X-Github-Event", "Content-Type");
    assertThat(o.retries()).isEqualTo(1);
  }

  @Test
  void header_forward_is_read_case_insensitively_and_only_true_turns_it_on() {
    assertThat(parse("upstash-header-forward", "TRUE", "X-A", "1").headers().first("x-a")).isEqualTo("1");
    assertThat(parse("Upstash-Header-Forward", "false", "X-A", "1").headers().isEmpty()).isTrue();
  }

  @ParameterizedTest
  @ValueSource(strings = {"http://my_app:3000/hook", "http://my_app/x", "https://svc_1.internal_net.example/x?y=1",
      "http://user@my_app:8080/"})
  void a_host_name_with_an_underscore_is_a_url(String url) { // Docker Compose service names
    assertThat(parse("Upstash-Callback", url).callback()).isEqualTo(url);
    java.net.URI u = java.net.URI.create(url);
    assertThat(HeaderParser.host(u)).contains("_").doesNotContain(":").doesNotContain("@");
  }

  @ParameterizedTest
  @ValueSource(strings = {"http://my_app:99999/", "http://my_app:0/", "http://my_app:x/", "http://my app/",
      "http://0x7f.1/", "http://127.1/", "http://my_app../", "http://_./"})
  void an_underscore_does_not_make_other_bad_hosts_acceptable(String url) {
    rejected("Upstash-Callback", "Upstash-Callback", url);
  }

  @Test
  void host_and_port_read_registry_authorities_too() {
    java.net.URI u = java.net.URI.create("http://my_app:3000/x");
    assertThat(HeaderParser.host(u)).isEqualTo("my_app");
    assertThat(HeaderParser.port(u)).isEqualTo(3000);
    assertThat(HeaderParser.port(java.net.URI.create("http://my_app/x"))).isEqualTo(-1);
    assertThat(HeaderParser.host(java.net.URI.create("http://example.com:8080/"))).isEqualTo("example.com");
    assertThat(HeaderParser.port(java.net.URI.create("http://example.com:8080/"))).isEqualTo(8080);
  }

  @Test
  void plain_dotted_addresses_stay_urls() {
    for (String url : List.of("http://127.0.0.1:8080/", "http://10.0.0.1/", "http://0.0.0.0/", "http://1.2.3.4/")) {
      assertThat(parse("Upstash-Callback", url).callback()).isEqualTo(url);
    }
  }

  @Test
  void every_port_a_url_can_have_is_accepted() {
    assertThat(parse("Upstash-Callback", "http://example.com:1/").callback()).isEqualTo("http://example.com:1/");
    assertThat(parse("Upstash-Callback", "http://example.com:65535/").callback()).isEqualTo("http://example.com:65535/");
  }

  @Test
  void callback_urls_are_validated_and_kept_verbatim() {
    MessageOptions o = parse("Upstash-Callback", "https://example.com/cb?x=1", "Upstash-Failure-Callback", "HTTP://example.com:8080/f");
    assertThat(o.callback()).isEqualTo("https://example.com/cb?x=1");
    assertThat(o.failureCallback()).isEqualTo("HTTP://example.com:8080/f");
  }

  @ParameterizedTest
  @ValueSource(strings = {"example.com/cb", "ftp://example.com/x", "https://", "https:///path", "https://exa mple.com",
      "javascript:alert(1)", "/relative", "", "http://[::1", "http://example.com:99999/", "http://example.com:65536/",
      "http://example.com:0/", "https://example.com:2147483647/", "http://0177.0.0.1/", "http://010.0.0.1:80/x",
      "http://127.0.0.01/"})
  void invalid_callback_urls_are_rejected(String url) {
    rejected("Upstash-Callback", "Upstash-Callback", url);
    rejected("Upstash-Failure-Callback", "Upstash-Failure-Callback", url);
  }

  @Test
  void callback_configuration_headers_are_rewritten_to_plain_upstash_headers() {
    MessageOptions o = parse("Upstash-Callback", "https://example.com/cb",
        "Upstash-Callback-Retries", "5", "upstash-callback-method", "PUT",
        "Upstash-Callback-Forward-Upstash-Workflow-StepId", "3", "Upstash-Callback-Workflow-RunId", "wfr_1",
        "Upstash-Failure-Callback", "https://example.com/fail", "Upstash-Failure-Callback-Timeout", "10s");
    assertThat(o.callbackConfig().map()).containsOnlyKeys("Upstash-Retries", "Upstash-Method",
        "Upstash-Forward-Upstash-Workflow-Stepid", "Upstash-Workflow-Runid");
    assertThat(o.callbackConfig().first("upstash-method")).isEqualTo("PUT");
    assertThat(o.failureCallbackConfig().map()).containsOnlyKeys("Upstash-Timeout");
    assertThat(o.headers().isEmpty()).isTrue();
  }

  @Test
  void a_callback_configuration_parses_into_the_callback_messages_options() {
    MessageOptions o = parse("Upstash-Retries", "4", "Upstash-Callback", "https://example.com/cb",
        "Upstash-Callback-Delay", "10s", "Upstash-Callback-Forward-X-Token", "abc");
    MessageOptions callback = PARSER.parse(o.callbackConfig().map(), o.retries());
    assertThat(callback.delay()).isEqualTo(Duration.ofSeconds(10));
    assertThat(callback.retries()).isEqualTo(4);
    assertThat(callback.headers().first("X-Token")).isEqualTo("abc");
  }

  @Test
  void an_invalid_callback_configuration_is_rejected_at_publish_time_naming_the_header_sent() {
    rejected("Upstash-Callback-Retries", "Upstash-Callback", "https://example.com/cb", "Upstash-Callback-Retries", "many");
    rejected("Upstash-Failure-Callback-Method", "Upstash-Failure-Callback", "https://example.com/f", "Upstash-Failure-Callback-Method", "HEAD");
  }

  @Test
  void nested_callback_prefixes_unwrap_one_level_at_a_time() {
    MessageOptions o = parse("Upstash-Callback", "https://example.com/cb",
        "Upstash-Callback-Failure-Callback", "https://example.com/inner-fail");
    assertThat(o.callbackConfig().first("Upstash-Failure-Callback")).isEqualTo("https://example.com/inner-fail");
    rejected("Upstash-Callback-Failure-Callback", "Upstash-Callback", "https://example.com/cb", "Upstash-Callback-Failure-Callback", "nope");
  }

  @Test
  void the_callback_and_failure_callback_urls_themselves_are_not_configuration() {
    MessageOptions o = parse("Upstash-Callback", "https://example.com/cb", "Upstash-Failure-Callback", "https://example.com/f");
    assertThat(o.callbackConfig().isEmpty()).isTrue();
    assertThat(o.failureCallbackConfig().isEmpty()).isTrue();
  }

  @Test
  void the_header_map_may_carry_several_values_per_name_when_forwarding_everything() {
    var h = headers("Upstash-Header-Forward", "true");
    h.put("X-Multi", List.of("a", "b"));
    assertThat(PARSER.parse(h).headers().map()).containsEntry("X-Multi", List.of("a", "b"));
  }
}
