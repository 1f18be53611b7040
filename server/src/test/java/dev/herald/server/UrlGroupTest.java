package dev.herald.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.herald.server.TestSink.Received;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import tools.jackson.databind.JsonNode;

/** URL groups, called topics on the wire (spec 7): managing endpoints and fanning a publish out. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class UrlGroupTest {
  private static final Duration WAIT = Duration.ofSeconds(60);
  private final TestSink sink = TestSink.start();
  private final TestServer herald = TestServer.start();

  @AfterEach
  void stop() {
    herald.close();
    sink.close();
  }

  @Test
  void upserting_an_endpoint_with_the_same_url_or_name_updates_it_and_get_shows_only_name_and_url() {
    assertThat(upsert("g1", endpoint("one", "/1"), endpoint(null, "/2")).statusCode()).isEqualTo(200);
    upsert("g1", endpoint("renamed", "/1")); // same url: updated
    upsert("g1", endpoint("renamed", "/1b")); // same name: updated

    JsonNode g = TestServer.json(herald.get("/v2/topics/g1"));
    assertThat(g.get("name").asString()).isEqualTo("g1");
    assertThat(g.get("createdAt").asLong()).isPositive();
    assertThat(g.get("updatedAt").asLong()).isGreaterThanOrEqualTo(g.get("createdAt").asLong());
    assertThat(g.get("endpoints")).hasSize(2);
    List<String> shapes = new ArrayList<>();
    g.get("endpoints").forEach(e -> shapes.add(String.join(",", e.propertyNames())));
    assertThat(shapes).containsExactlyInAnyOrder("url", "name,url");
    assertThat(urls(g)).containsExactlyInAnyOrder(sink.url("/2"), sink.url("/1b"));
  }

  @Test
  void groups_are_listed_endpoints_removed_and_a_deleted_group_is_gone() {
    upsert("la", endpoint("a", "/a"), endpoint("b", "/b"), endpoint(null, "/c"));
    upsert("lb", endpoint(null, "/x"));
    List<String> names = new ArrayList<>();
    TestServer.json(herald.get("/v2/topics")).forEach(g -> names.add(g.get("name").asString()));
    assertThat(names).containsExactlyInAnyOrder("la", "lb");

    HttpResponse<String> removed = herald.call("DELETE", "/v2/topics/la/endpoints",
        "{\"endpoints\":[{\"name\":\"a\"},{\"url\":\"" + sink.url("/c") + "\"}]}");
    assertThat(removed.statusCode()).as(removed.body()).isEqualTo(200);
    assertThat(urls(TestServer.json(herald.get("/v2/topics/la")))).containsExactly(sink.url("/b"));

    assertThat(herald.delete("/v2/topics/la").statusCode()).isEqualTo(200);
    assertThat(herald.get("/v2/topics/la").statusCode()).isEqualTo(404);
    assertThat(herald.delete("/v2/topics/la").statusCode()).isEqualTo(404);
    assertThat(herald.call("DELETE", "/v2/topics/la/endpoints", "{\"endpoints\":[{\"name\":\"b\"}]}").statusCode())
        .isEqualTo(404);
  }

  @Test
  void publishing_to_a_group_fans_out_to_every_endpoint_with_the_topic_name() {
    upsert("fan", endpoint("e1", "/f1"), endpoint("e2", "/f2"), endpoint("e3", "/f3"));

    HttpResponse<String> r = herald.publish("fan", "to all");
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    JsonNode results = TestServer.json(r);
    assertThat(results.isArray()).isTrue();
    assertThat(results).hasSize(3);
    List<String> ids = new ArrayList<>();
    results.forEach(x -> ids.add(x.get("messageId").asString()));
    assertThat(ids).doesNotHaveDuplicates();
    for (String path : List.of("/f1", "/f2", "/f3")) {
      Received got = sink.awaitRequests(path, 1, WAIT).get(0);
      assertThat(got.header("Upstash-Topic-Name")).isEqualTo("fan");
      assertThat(new String(got.body())).isEqualTo("to all");
      assertThat(ids).contains(got.header("Upstash-Message-Id"));
    }
  }

  @Test
  void an_unknown_group_is_404_and_bad_names_or_bodies_are_400() {
    assertThat(herald.get("/v2/topics/nothing-here").statusCode()).isEqualTo(404);
    assertThat(herald.publish("nothing-here", "x").statusCode()).isEqualTo(404);
    assertThat(upsert("bad name!", endpoint(null, "/x")).statusCode()).isEqualTo(400);
    assertThat(herald.get("/v2/topics/bad%20name!").statusCode()).isEqualTo(400);
    assertThat(herald.post("/v2/topics/g/endpoints", "{\"endpoints\":[{\"url\":\"not a url\"}]}").statusCode()).isEqualTo(400);
    assertThat(herald.post("/v2/topics/g/endpoints", "{\"endpoints\":[{\"name\":\"no-url\"}]}").statusCode()).isEqualTo(400);
    assertThat(herald.post("/v2/topics/g/endpoints", "[]").statusCode()).isEqualTo(400);
    assertThat(herald.get("/v2/topics/g").statusCode()).isEqualTo(404);
  }

  @Test
  void a_groups_default_headers_apply_to_every_publish_to_it_unless_the_request_carries_the_header() { // spec 7.5
    upsert("hooks", endpoint("a", "/d1"), endpoint("b", "/d2"));
    HttpResponse<String> set = herald.call("PATCH", "/v2/topics/hooks",
        "{\"headers\":{\"Upstash-Forward-X-Team\":\"blue\",\"Upstash-Forward-X-Tags\":[\"t1\",\"t2\"],\"Upstash-Retries\":\"0\"}}");
    assertThat(set.statusCode()).as(set.body()).isEqualTo(200);
    JsonNode g = TestServer.json(herald.get("/v2/topics/hooks"));
    assertThat(g.get("headers").get("Upstash-Forward-X-Team").get(0).asString()).isEqualTo("blue");
    List<String> shapes = new ArrayList<>();
    g.get("endpoints").forEach(e -> shapes.add(String.join(",", e.propertyNames())));
    assertThat(shapes).containsOnly("name,url"); // endpoints keep their exact shape

    // a bare publish (a webhook sender that cannot set headers) takes every default
    assertThat(herald.publish("hooks", "plain").statusCode()).isEqualTo(200);
    for (String path : List.of("/d1", "/d2")) {
      Received got = sink.awaitRequests(path, 1, WAIT).get(0);
      assertThat(got.header("X-Team")).isEqualTo("blue");
      assertThat(got.header("X-Tags")).isEqualTo("t1, t2");
    }
    // the request's own header wins, in any case, and so does its upstash-* query key
    assertThat(herald.publish("hooks", "own", "upstash-forward-x-team", "red").statusCode()).isEqualTo(200);
    assertThat(sink.awaitRequests("/d1", 2, WAIT).get(1).header("X-Team")).isEqualTo("red");
    assertThat(herald.post("/v2/publish/hooks?upstash-forward-x-team=green", "query").statusCode()).isEqualTo(200);
    assertThat(sink.awaitRequests("/d1", 3, WAIT).get(2).header("X-Team")).isEqualTo("green");
    // a batch item to the group takes them too
    HttpResponse<String> batch = herald.post("/v2/batch", "[{\"destination\":\"hooks\",\"body\":\"batched\"}]");
    assertThat(batch.statusCode()).as(batch.body()).isEqualTo(200);
    assertThat(sink.awaitRequests("/d1", 4, WAIT).get(3).header("X-Team")).isEqualTo("blue");
    // the retries default reached the stored message too (held back an hour, so it can be read)
    String id = TestServer.json(herald.publish("hooks", "r", "Upstash-Delay", "1h")).get(0).get("messageId").asString();
    JsonNode held = TestServer.json(herald.get("/v2/messages/" + id));
    assertThat(held.get("maxRetries").asInt()).isZero();
    assertThat(held.get("header").get("X-Team").get(0).asString()).isEqualTo("blue");

    // an empty map removes them; a publish to a URL never reads them
    assertThat(herald.call("PATCH", "/v2/topics/hooks", "{\"headers\":{}}").statusCode()).isEqualTo(200);
    assertThat(TestServer.json(herald.get("/v2/topics/hooks")).has("headers")).isFalse();
    herald.publish("hooks", "after");
    assertThat(sink.awaitRequests("/d1", 5, WAIT).get(4).header("X-Team")).isNull();
  }

  @Test
  void bad_default_headers_are_400_and_change_nothing_and_an_unknown_group_is_404() {
    upsert("strict", endpoint(null, "/s"));
    herald.call("PATCH", "/v2/topics/strict", "{\"headers\":{\"Upstash-Forward-X\":\"kept\"}}");
    for (String body : List.of(
        "{\"headers\":{\"Upstash-Retries\":\"lots\"}}", // a publish would refuse it
        "{\"headers\":{\"Bad Name\":\"x\"}}", // not an HTTP header name
        "{\"headers\":{\"Upstash-Forward-X\":\"a\\r\\nInjected: 1\"}}", // CR LF in a value
        "{\"headers\":{\"Upstash-Forward-X\":5}}",
        "{\"headers\":{\"Upstash-Forward-X\":[]}}",
        "{\"headers\":{\"Upstash-Deduplication-Id\":\"one\"}}", // one request's, not a group's
        "{\"headers\":{\"Upstash-Cron\":\"* * * * *\"}}",
        "{\"headers\":{\"Upstash-Callback\":\"not a url\"}}",
        "{\"headers\":{\"Upstash-Forward-X\":\"" + "x".repeat(20_000) + "\"}}",
        "{\"headers\":[]}", "{}", "[]", "nonsense")) {
      HttpResponse<String> r = herald.call("PATCH", "/v2/topics/strict", body);
      assertThat(r.statusCode()).as(body.length() > 80 ? body.substring(0, 80) : body).isEqualTo(400);
      assertThat(TestServer.json(r).get("error").asString()).isNotBlank();
    }
    JsonNode g = TestServer.json(herald.get("/v2/topics/strict"));
    assertThat(g.get("headers").properties()).hasSize(1);
    assertThat(g.get("headers").get("Upstash-Forward-X").get(0).asString()).isEqualTo("kept");
    assertThat(herald.call("PATCH", "/v2/topics/nobody", "{\"headers\":{}}").statusCode()).isEqualTo(404);
    assertThat(herald.get("/v2/topics/nobody").statusCode()).isEqualTo(404); // not created by the PATCH
  }

  @Test
  void default_headers_survive_endpoint_changes_and_a_restart() {
    upsert("kept", endpoint(null, "/k1"));
    herald.call("PATCH", "/v2/topics/kept", "{\"headers\":{\"Upstash-Forward-X-K\":\"v\"}}");
    upsert("kept", endpoint(null, "/k2"));
    herald.call("DELETE", "/v2/topics/kept/endpoints", "{\"endpoints\":[{\"url\":\"" + sink.url("/k1") + "\"}]}");
    herald.restart();
    herald.publish("kept", "x");
    assertThat(sink.awaitRequests("/k2", 1, WAIT).get(0).header("X-K")).isEqualTo("v");
  }

  private HttpResponse<String> upsert(String group, String... endpoints) {
    return herald.post("/v2/topics/" + group.replace(" ", "%20") + "/endpoints",
        "{\"endpoints\":[" + String.join(",", endpoints) + "]}");
  }

  private String endpoint(String name, String path) {
    return "{" + (name == null ? "" : "\"name\":\"" + name + "\",") + "\"url\":\"" + sink.url(path) + "\"}";
  }

  private static List<String> urls(JsonNode group) {
    List<String> out = new ArrayList<>();
    group.get("endpoints").forEach(e -> out.add(e.get("url").asString()));
    return out;
  }
}
