package dev.herald.core.message;

import java.util.Locale;
import java.util.Map;

/**
 * What makes a message part of an Upstash Workflow run (spec 13): the run, the workflow endpoint, and
 * the message's role in the run ({@code callType}). Read from the {@code Upstash-Workflow-*} headers the
 * workflow SDK sends. {@code createdAt} is the run's creation time (epoch ms), filled in by the engine
 * when the message is attached to its run (0 before).
 */
public record Workflow(String runId, String url, String callType, boolean init, boolean invoke, long createdAt) {
  /** A step of the run (also the trigger): appended to the run's step list, delivered with an empty body. */
  public static final String STEP = "step";
  /** A context.call request to a third party: not a step, no workflow headers on delivery. */
  public static final String TO_CALLBACK = "toCallback";
  /** The callback of a context.call: delivered to the workflow with the call's result. */
  public static final String FROM_CALLBACK = "fromCallback";
  /** The failure callback of a step that failed for good. */
  public static final String FAILURE_CALL = "failureCall";

  public Workflow withCreatedAt(long ms) {
    return new Workflow(runId, url, callType, init, invoke, ms);
  }

  /** Whether delivering this message calls the workflow endpoint (everything but a context.call request). */
  public boolean toWorkflow() {
    return !TO_CALLBACK.equals(callType);
  }

  /**
   * The workflow part of publish headers given with lower-case names, or null when there is no run id.
   * Both spellings the SDK uses ({@code -RunId} and {@code -Runid}) are the same lower-case name.
   */
  static Workflow parse(Map<String, String> lowerCaseHeaders) {
    String runId = lowerCaseHeaders.get("upstash-workflow-runid");
    if (runId == null || runId.isBlank()) return null;
    runId = runId.trim();
    if (runId.length() > 200 || !HeaderParser.RESOURCE_NAME.matcher(runId).matches()) {
      throw new dev.herald.core.ValidationException("Upstash-Workflow-RunId: must match [A-Za-z0-9._-]+ (at most 200 characters)");
    }
    String url = lowerCaseHeaders.get("upstash-workflow-url");
    if (url != null) url = HeaderParser.url("Upstash-Workflow-Url", url.trim());
    String callType = lowerCaseHeaders.getOrDefault("upstash-workflow-calltype", STEP).trim();
    callType = switch (callType.toLowerCase(Locale.ROOT)) {
      case "step" -> STEP;
      case "tocallback" -> TO_CALLBACK;
      case "fromcallback" -> FROM_CALLBACK;
      case "failurecall" -> FAILURE_CALL;
      default -> throw new dev.herald.core.ValidationException(
          "Upstash-Workflow-CallType: must be step, toCallback, fromCallback or failureCall");
    };
    boolean init = "true".equalsIgnoreCase(lowerCaseHeaders.getOrDefault("upstash-workflow-init", "false").trim());
    boolean invoke = "true".equalsIgnoreCase(lowerCaseHeaders.getOrDefault("upstash-workflow-invoke", "false").trim());
    return new Workflow(runId, url, callType, init && STEP.equals(callType), invoke, 0);
  }
}
