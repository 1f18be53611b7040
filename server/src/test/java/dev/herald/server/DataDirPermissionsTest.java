package dev.herald.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The SQLite data directory holds bodies and headers (tokens among them): a directory Herald creates is
 * owner-only and so is every file in it (the database, its WAL and shared-memory files, herald.lock),
 * whatever the umask; an existing directory open to other users keeps its mode and gets one warning.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class DataDirPermissionsTest {
  private static final String WARNING = "is open to other users";

  @TempDir
  Path tmp;

  private HeraldProcess herald;

  @BeforeEach
  void posixOnly() {
    assumeTrue(tmp.getFileSystem().supportedFileAttributeViews().contains("posix"),
        "the temporary directory's file system has no POSIX permissions");
  }

  @AfterEach
  void stop() {
    if (herald != null) herald.close();
  }

  @Test
  void a_data_directory_herald_creates_and_every_file_in_it_are_owner_only() throws Exception {
    Path data = tmp.resolve("parent").resolve("data");
    herald = HeraldProcess.start(data);
    publishOne(); // the WAL and shared-memory files exist once something was written

    assertThat(mode(data)).isEqualTo("rwx------");
    List<Path> files;
    try (Stream<Path> s = Files.list(data)) {
      files = s.toList();
    }
    assertThat(files.stream().map(f -> f.getFileName().toString()))
        .contains("herald.db", "herald.db-wal", "herald.db-shm", "herald.lock");
    for (Path f : files) assertThat(mode(f)).as("mode of %s", f.getFileName()).endsWith("------");
    assertThat(herald.output()).noneMatch(l -> l.contains(WARNING));

    herald.stop(Duration.ofSeconds(30));
    herald = herald.restart(); // now it exists, owner-only: nothing to say
    assertThat(herald.output()).noneMatch(l -> l.contains(WARNING));
  }

  @Test
  void an_existing_data_directory_open_to_other_users_keeps_its_mode_and_gets_one_warning() throws Exception {
    Path data = Files.createDirectory(tmp.resolve("shared"));
    Files.setPosixFilePermissions(data, PosixFilePermissions.fromString("rwxr-xr-x"));
    herald = HeraldProcess.start(data);
    publishOne();

    assertThat(herald.output().stream().filter(l -> l.contains(WARNING)))
        .singleElement().asString().contains(data.toString()).contains("chmod 700");
    assertThat(mode(data)).isEqualTo("rwxr-xr-x");
    // files Herald creates there are still its own
    Set<PosixFilePermission> db = Files.getPosixFilePermissions(data.resolve("herald.db"));
    assertThat(PosixFilePermissions.toString(db)).isEqualTo("rw-------");
  }

  private void publishOne() throws IOException, InterruptedException {
    HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
            URI.create(herald.base() + "/v2/publish/http://127.0.0.1:9/x"))
        .header("Authorization", "Bearer " + Main.DEV_TOKEN).header("Upstash-Delay", "1h")
        .timeout(Duration.ofSeconds(20)).POST(HttpRequest.BodyPublishers.ofString("secret body")).build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
  }

  private static String mode(Path p) throws IOException {
    return PosixFilePermissions.toString(Files.getPosixFilePermissions(p));
  }
}
