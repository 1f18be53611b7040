package dev.herald.engine;

/** The named resource does not exist; the API answers 404 with this message. */
public final class NotFoundException extends RuntimeException {
  public NotFoundException(String what) {
    super(what + " not found", null, false, false);
  }
}
