package dev.herald.store;

import tools.jackson.databind.json.JsonMapper;

/** The one JSON mapper of the store (thread-safe, immutable). */
public final class Json {
  public static final JsonMapper MAPPER = JsonMapper.builder().build();

  private Json() {}
}
