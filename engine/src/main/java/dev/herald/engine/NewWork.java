package dev.herald.engine;

/** Told about committed messages so the dispatcher can index them without a store scan. */
public interface NewWork {
  void created(String id, long dueAt);
}
