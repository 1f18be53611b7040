package dev.herald.core;

/** Bad client input. The message is shown to the client as is, so it names the field and never echoes secrets. */
public final class ValidationException extends RuntimeException {
  public ValidationException(String message) {
    super(message, null, false, false);
  }
}
