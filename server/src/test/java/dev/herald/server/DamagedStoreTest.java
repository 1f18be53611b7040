package dev.herald.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * R7: a damaged or missing SQLite store at start. Herald never starts empty, or on a file cut short,
 * as if nothing was lost: it exits 1 with one line naming the file and the problem. Every case starts
 * from a copy of one data directory stopped cleanly (SIGTERM) with 1,000 delayed messages pending. A
 * damaged page in the middle of the file is not seen at start (only the header is read); the test
 * shows what happens instead: the rows on it answer 500, none is "not found", and the log names the file.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class DamagedStoreTest {
  private static final Duration START = Duration.ofSeconds(60);
  private static final int PENDING = 1000;

  @TempDir
  static Path template;
  private static final List<String> pendingIds = new ArrayList<>();

  @TempDir
  Path tmp;

  private final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
  private HeraldProcess herald;
  private TestSink sink;

  @BeforeAll
  static void aStoreStoppedWithPendingMessages() throws Exception {
    HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    HeraldProcess h = HeraldProcess.start(template.resolve("data"));
    try {
      for (int i = 0; i < PENDING; i++) {
        HttpResponse<String> r = publish(client, h, "http://127.0.0.1:9/pending-" + i, "body " + i + " " + "x".repeat(300), "1h");
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        pendingIds.add(TestServer.JSON.readTree(r.body()).get("messageId").asString());
      }
      assertThat(h.stop(Duration.ofSeconds(30))).isZero();
    } finally {
      h.close();
    }
  }

  @AfterEach
  void stop() {
    if (herald != null) herald.close();
    if (sink != null) sink.close();
  }

  @Test
  void a_store_truncated_to_half_its_size_is_refused_in_one_line_naming_the_file() throws Exception {
    Path data = copyOfTemplate();
    Path db = data.resolve("herald.db");
    try (RandomAccessFile f = new RandomAccessFile(db.toFile(), "rw")) {
      f.setLength(f.length() / 2);
    }

    assertRefused(start(data), db + " is truncated");
  }

  @Test
  void a_flipped_byte_in_the_header_is_refused_in_one_line_naming_the_file() throws Exception {
    Path data = copyOfTemplate();
    Path db = data.resolve("herald.db");
    flip(db, 3); // in 'SQLite format 3'

    assertRefused(start(data), db + " is not a SQLite database");
  }

  @Test
  void a_damaged_page_in_the_middle_is_not_seen_at_start_but_never_reads_as_no_message_and_the_log_names_the_file()
      throws Exception {
    Path data = copyOfTemplate();
    Path db = data.resolve("herald.db");
    flip(db, middleLeafOfMessages(db)); // its page type: the page is no b-tree page any more

    herald = HeraldProcess.start(data); // not detected: start-up reads the header, not every page
    Set<Integer> statuses = new java.util.TreeSet<>();
    int failed = 0;
    for (String id : pendingIds) {
      int status = get("/v2/messages/" + id).statusCode();
      statuses.add(status);
      if (status == 500) failed++;
    }
    assertThat(statuses).as("a damaged row is an error, never 'no such message'").containsOnly(200, 500);
    assertThat(failed).as("messages on the damaged page").isPositive();
    await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(herald.output())
        .anyMatch(l -> l.contains("ERROR") && l.contains(db + " is damaged") && l.contains("malformed")));
  }

  @Test
  void a_deleted_store_is_refused_while_its_marker_is_there_and_deleting_the_marker_starts_a_new_empty_store()
      throws Exception {
    Path data = copyOfTemplate();
    Path db = data.resolve("herald.db");
    String oldId = Files.readString(data.resolve("herald.id")).strip();
    Files.delete(db);

    assertRefused(start(data), db + " is missing but " + data.resolve("herald.id") + " says a store lived here");
    assertThat(db).as("nothing created in its place").doesNotExist();

    Files.delete(data.resolve("herald.id")); // the operator's decision: a new store here
    herald = HeraldProcess.start(data);
    assertThat(get("/v2/messages/" + pendingIds.get(0)).statusCode()).isEqualTo(404);
    assertThat(Files.readString(data.resolve("herald.id")).strip()).isNotEqualTo(oldId);
  }

  @Test
  void another_stores_file_in_the_directory_is_refused() throws Exception {
    Path data = copyOfTemplate();
    Path other = tmp.resolve("other");
    herald = HeraldProcess.start(other);
    assertThat(herald.stop(Duration.ofSeconds(30))).isZero();
    herald = null;
    Files.copy(other.resolve("herald.db"), data.resolve("herald.db"), StandardCopyOption.REPLACE_EXISTING);

    assertRefused(start(data), "but " + data.resolve("herald.id") + " says store");
  }

  @Test
  void a_read_only_data_directory_is_refused_at_start() throws Exception {
    Path data = copyOfTemplate();
    assumeTrue(run("mount", "--bind", data.toString(), data.toString()) == 0, "cannot bind-mount (needs root)");
    try {
      assumeTrue(run("mount", "-o", "remount,bind,ro", data.toString()) == 0, "cannot remount read-only");
      assertRefused(start(data), "the data directory " + data + " is not writable");
    } finally {
      run("umount", data.toString());
    }
  }

  @Test
  void a_data_directory_from_before_the_marker_gets_one_and_its_pending_messages_are_delivered() throws Exception {
    sink = TestSink.start();
    Path data = tmp.resolve("old");
    herald = HeraldProcess.start(data);
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      HttpResponse<String> r = publish(client, herald, sink.url("/old"), "old-" + i, "2s");
      assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
      ids.add(TestServer.JSON.readTree(r.body()).get("messageId").asString());
    }
    assertThat(herald.stop(Duration.ofSeconds(30))).isZero();
    // what a data directory made before the marker looks like: no herald.id, no store id in the database
    Files.delete(data.resolve("herald.id"));
    try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + data.resolve("herald.db"));
        Statement s = c.createStatement()) {
      assertThat(s.executeUpdate("DELETE FROM settings WHERE name = 'store.id'")).isEqualTo(1);
    }

    herald = herald.restart();
    await().atMost(Duration.ofSeconds(60)).until(() -> sink.requests("/old").stream()
        .map(r -> r.header("Upstash-Message-Id")).collect(Collectors.toSet()).containsAll(ids));
    Path marker = data.resolve("herald.id");
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(marker))).isEqualTo("rw-------");
    try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + data.resolve("herald.db"));
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT value FROM settings WHERE name = 'store.id'")) {
      assertThat(rs.next()).isTrue();
      assertThat(Files.readString(marker).strip()).isEqualTo(rs.getString(1));
    }
  }

  private static void assertRefused(HeraldProcess.Result r, String problem) {
    assertThat(r.output()).as("output").doesNotContain("running at").doesNotContain("Exception").doesNotContain("\tat ");
    assertThat(r.exitCode()).as(r.output()).isEqualTo(1);
    assertThat(r.output().lines().filter(l -> l.startsWith("herald: "))).singleElement().asString().contains(problem);
  }

  private static HeraldProcess.Result start(Path data) {
    return HeraldProcess.startOrExit(START, "dev", "--port", "0", "--data", data.toString());
  }

  private Path copyOfTemplate() throws IOException {
    Path data = Files.createDirectory(tmp.resolve("data"), PosixFilePermissions.asFileAttribute(
        PosixFilePermissions.fromString("rwx------")));
    try (Stream<Path> files = Files.list(template.resolve("data"))) {
      for (Path f : files.toList()) Files.copy(f, data.resolve(f.getFileName()), StandardCopyOption.COPY_ATTRIBUTES);
    }
    assertThat(data.resolve("herald.db-wal")).as("a clean stop leaves no WAL").doesNotExist();
    return data;
  }

  /** The first byte of a leaf page of the messages table in the middle of the file (dbstat). */
  private static long middleLeafOfMessages(Path db) throws Exception {
    List<Long> pages = new ArrayList<>();
    int pageSize;
    try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + db); Statement s = c.createStatement()) {
      try (ResultSet rs = s.executeQuery("SELECT pageno FROM dbstat WHERE name = 'messages' AND pagetype = 'leaf' ORDER BY pageno")) {
        while (rs.next()) pages.add(rs.getLong(1));
      }
      try (ResultSet rs = s.executeQuery("PRAGMA page_size")) {
        rs.next();
        pageSize = rs.getInt(1);
      }
    }
    assertThat(pages).as("leaf pages of messages").hasSizeGreaterThan(2);
    return (pages.get(pages.size() / 2) - 1) * pageSize;
  }

  private static void flip(Path file, long at) throws IOException {
    try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
      f.seek(at);
      int b = f.read();
      f.seek(at);
      f.write(b ^ 0xff);
    }
  }

  private static int run(String... command) throws IOException, InterruptedException {
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    int rc = p.waitFor();
    if (rc != 0) System.out.println(String.join(" ", command) + ": " + out.strip());
    return rc;
  }

  private static HttpResponse<String> publish(HttpClient client, HeraldProcess h, String url, String body, String delay)
      throws IOException, InterruptedException {
    return client.send(HttpRequest.newBuilder(URI.create(h.base() + "/v2/publish/" + url))
        .header("Authorization", "Bearer " + Main.DEV_TOKEN).header("Upstash-Delay", delay)
        .timeout(Duration.ofSeconds(20)).POST(HttpRequest.BodyPublishers.ofString(body)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private HttpResponse<String> get(String path) throws IOException, InterruptedException {
    return client.send(HttpRequest.newBuilder(URI.create(herald.base() + path)).timeout(Duration.ofSeconds(20))
        .header("Authorization", "Bearer " + Main.DEV_TOKEN).GET().build(), HttpResponse.BodyHandlers.ofString());
  }
}
