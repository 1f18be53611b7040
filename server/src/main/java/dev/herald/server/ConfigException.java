package dev.herald.server;

/** A bad or missing setting; the message names the key and what is allowed. */
public final class ConfigException extends RuntimeException {
  public ConfigException(String message) {
    super(message);
  }
}
