package dev.herald.engine;

import java.util.List;

/** The answer for one {@link PublishRequest}: the messages made (one per URL-group endpoint), or why not. */
public sealed interface PublishOutcome {
  record Accepted(List<PublishResult> results, boolean urlGroup) implements PublishOutcome {
    public Accepted {
      results = List.copyOf(results);
    }
  }

  /** Refused with an HTTP status (404 unknown URL group, 400 empty group) and the QStash error text. */
  record Rejected(int status, String error) implements PublishOutcome {}
}
