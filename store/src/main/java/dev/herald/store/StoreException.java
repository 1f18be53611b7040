package dev.herald.store;

/** An SQL failure inside a store verb, with what we were doing. */
public final class StoreException extends RuntimeException {
  public StoreException(String doing, Throwable cause) {
    super(doing + ": " + cause.getMessage(), cause);
  }
}
