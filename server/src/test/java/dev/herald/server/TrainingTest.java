package dev.herald.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** `herald train` (the AOT cache's workload) really publishes, enqueues and delivers, and leaves nothing behind. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class TrainingTest {
  @Test
  void the_training_workload_delivers_every_message_and_removes_its_store() throws Exception {
    Path tmp = Path.of(System.getProperty("java.io.tmpdir"));
    long before = count(tmp);
    assertThat(Training.run(300)).as("300 published, then 150 through a paused and resumed queue").isEqualTo(450);
    assertThat(count(tmp)).as("its temporary store is removed").isEqualTo(before);
  }

  private static long count(Path tmp) throws Exception {
    try (Stream<Path> s = Files.list(tmp)) {
      return s.filter(p -> p.getFileName().toString().startsWith("herald-train")).count();
    }
  }
}
