package dev.herald.api;

/** A client-facing failure: status + message, rendered as {"error": message}. */
public final class ApiException extends RuntimeException {
  private final int status;

  public ApiException(int status, String message) {
    super(message, null, false, false);
    this.status = status;
  }

  public int status() {
    return status;
  }

  public static ApiException notFound(String what) {
    return new ApiException(404, what + " not found");
  }

  public static ApiException badRequest(String message) {
    return new ApiException(400, message);
  }
}
