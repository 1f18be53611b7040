package dev.herald.store;

/** The store could not durably write (disk full, I/O error, closed). Clients get 503 + Retry-After. */
public final class StoreUnavailableException extends RuntimeException {
  public StoreUnavailableException(String message, Throwable cause) {
    super(message, cause);
  }
}
