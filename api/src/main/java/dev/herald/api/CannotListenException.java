package dev.herald.api;

/** The HTTP server cannot listen where it was told to; the message says where and the operating system's reason. */
public final class CannotListenException extends RuntimeException {
  public CannotListenException(String host, int port, String reason) {
    super("cannot listen on " + (host.contains(":") && !host.startsWith("[") ? "[" + host + "]" : host) + ":" + port
        + ": " + reason);
  }
}
