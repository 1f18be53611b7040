package dev.herald.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The scan alone, with the time passed in (its loop is not started). End to end: SlowClientTest. */
class ReadWatchdogTest {
  private static final long SECOND = 1_000_000_000L;
  private final ReadWatchdog watchdog = new ReadWatchdog(Duration.ofSeconds(1), 65536);
  private final AtomicInteger hangUps = new AtomicInteger();

  @AfterEach
  void close() {
    watchdog.close();
  }

  @Test
  void a_read_that_does_not_move_for_the_timeout_is_hung_up_on_once() {
    ReadWatchdog.Watch w = watchdog.watch(Thread.currentThread(), hangUps::incrementAndGet);
    w.progress();

    watchdog.scan(0);
    watchdog.scan(SECOND - 1);
    assertThat(hangUps).hasValue(0);

    watchdog.scan(SECOND);
    watchdog.scan(5 * SECOND);
    assertThat(hangUps).hasValue(1);
    assertThat(watchdog.size()).isZero();
  }

  @Test
  void a_read_that_keeps_moving_is_never_hung_up_on() {
    ReadWatchdog.Watch w = watchdog.watch(Thread.currentThread(), hangUps::incrementAndGet);

    for (long t = 0; t < 10 * SECOND; t += SECOND / 2) {
      w.progress();
      watchdog.scan(t);
    }

    assertThat(hangUps).hasValue(0);
  }

  @Test
  void a_connection_that_is_not_reading_is_never_hung_up_on() {
    ReadWatchdog.Watch w = watchdog.watch(Thread.currentThread(), hangUps::incrementAndGet);
    w.progress();
    watchdog.scan(0);
    w.done(); // the handler works, or the connection waits for its next request

    watchdog.scan(SECOND);
    watchdog.scan(60 * SECOND);
    assertThat(hangUps).hasValue(0);

    w.progress(); // the next request: timed from when the scan first sees it
    watchdog.scan(61 * SECOND);
    watchdog.scan(62 * SECOND - 1);
    assertThat(hangUps).hasValue(0);
    watchdog.scan(62 * SECOND);
    assertThat(hangUps).hasValue(1);
  }

  @Test
  void the_connections_of_ended_threads_are_forgotten() throws InterruptedException {
    Thread ended = Thread.ofVirtual().start(() -> {});
    ended.join();
    watchdog.watch(ended, hangUps::incrementAndGet).progress();
    watchdog.watch(Thread.currentThread(), hangUps::incrementAndGet);

    watchdog.scan(0);

    assertThat(watchdog.size()).isEqualTo(1);
    assertThat(hangUps).hasValue(0);
  }
}
