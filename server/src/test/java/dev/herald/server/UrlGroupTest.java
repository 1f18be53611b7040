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
