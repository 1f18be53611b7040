package dev.herald.store;

import static org.assertj.core.api.Assertions.assertThat;

import dev.herald.core.id.Ids;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class StoredIdsTest {
  @Test
  void herald_ids_pack_into_16_bytes_and_read_back() { // up to the year 10,889 (a top byte of 0xFF is text)
    Ids ids = new Ids();
    Random r = new Random(7);
    for (int i = 0; i < 10_000; i++) {
      String id = ids.message(Instant.ofEpochMilli(r.nextLong(0, 0xFFL << 40)));
      byte[] packed = StoredIds.pack(id);
      assertThat(packed).hasSize(16);
      assertThat(StoredIds.unpack(packed)).isEqualTo(id);
    }
  }

  @Test
  void packed_ids_sort_like_the_ids_so_queues_stay_fifo() {
    Ids ids = new Ids();
    Random r = new Random(11);
    List<String> all = new ArrayList<>();
    for (int i = 0; i < 2_000; i++) all.add(ids.message(Instant.ofEpochMilli(r.nextLong(0, 0xFFL << 40))));
    all.add("msg_1"); // not a Herald id: stored as text, after every packed one
    all.add("");
    List<String> byString = new ArrayList<>(all);
    byString.sort(null);
    List<String> byBytes = new ArrayList<>(all);
    byBytes.sort((a, b) -> Arrays.compareUnsigned(StoredIds.pack(a), StoredIds.pack(b)));
    byString.remove("msg_1");
    byString.add("msg_1");
    assertThat(byBytes).isEqualTo(byString);
  }

  @Test
  void other_ids_are_kept_as_text() {
    for (String id : List.of("msg_1", "", "m", "msg_8ZZZZZZZZZZZZZZZZZZZZZZZZZ", "msg_7ZZZZZZZZZZZZZZZZZZZZZZZZZ", "msg_01m875jvrtewesntr57gf3ttj1",
        "msg_01M875JVRTEWESNTR57GF3TTJU", "msg_01M875JVRTEWESNTR57GF3TTJ", "dlq_01M875JVRTEWESNTR57GF3TTJ1", "é")) {
      assertThat(StoredIds.unpack(StoredIds.pack(id))).isEqualTo(id);
      assertThat(StoredIds.pack(id)).hasSize(id.isEmpty() ? 0 : id.getBytes(java.nio.charset.StandardCharsets.UTF_8).length + 1);
    }
  }
}
