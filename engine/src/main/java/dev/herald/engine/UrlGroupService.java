package dev.herald.engine;

import dev.herald.core.ValidationException;
import dev.herald.core.message.HeaderParser;
import dev.herald.store.Db;
import dev.herald.store.UrlGroups;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** URL groups (spec 7). An endpoint with the same URL or the same non-empty name is updated, not added (UNSURE-38). */
public final class UrlGroupService {
  private final Db db;
  private final InstantSource clock;

  public UrlGroupService(Db db, InstantSource clock) {
    this.db = db;
    this.clock = clock;
  }

  public void upsert(String group, List<UrlGroups.Endpoint> endpoints) {
    HeaderParser.name("url group name", group);
    for (UrlGroups.Endpoint e : endpoints) {
      HeaderParser.url("endpoint url", e.url());
      if (e.url() == null) throw new ValidationException("endpoint url: required");
      if (e.name() != null && !e.name().isEmpty()) HeaderParser.name("endpoint name", e.name());
    }
    long now = clock.millis();
    db.write(tx -> {
      var existing = tx.urlGroups().find(group);
      List<UrlGroups.Endpoint> list = new ArrayList<>(existing.map(UrlGroups.Group::endpoints).orElse(List.of()));
      for (UrlGroups.Endpoint e : endpoints) {
        list.removeIf(x -> x.url().equals(e.url()) || (e.name() != null && !e.name().isEmpty() && e.name().equals(x.name())));
        list.add(new UrlGroups.Endpoint(e.name() == null || e.name().isEmpty() ? null : e.name(), e.url()));
      }
      tx.urlGroups().put(new UrlGroups.Group(group, list, existing.map(UrlGroups.Group::headers).orElse(Map.of()),
          existing.map(UrlGroups.Group::createdAt).orElse(now), now));
      return null;
    }).join();
  }

  /** Removes endpoints matching by name or URL; a group left empty is deleted (spec 7.2). */
  public void remove(String group, List<UrlGroups.Endpoint> endpoints) {
    for (UrlGroups.Endpoint e : endpoints) {
      if ((e.name() == null || e.name().isEmpty()) && (e.url() == null || e.url().isEmpty())) {
        throw new ValidationException("endpoints: each item needs a name or a url");
      }
    }
    long now = clock.millis();
    db.write(tx -> {
      var existing = tx.urlGroups().find(group).orElseThrow(() -> new NotFoundException("url group " + group));
      List<UrlGroups.Endpoint> list = new ArrayList<>(existing.endpoints());
      for (UrlGroups.Endpoint e : endpoints) {
        list.removeIf(x -> (e.url() != null && e.url().equals(x.url())) || (e.name() != null && e.name().equals(x.name())));
      }
      if (list.isEmpty()) tx.urlGroups().delete(group);
      else tx.urlGroups().put(new UrlGroups.Group(group, list, existing.headers(), existing.createdAt(), now));
      return null;
    }).join();
  }

  /**
   * Replaces the group's default headers (spec 7.5; an empty map removes them). The caller has checked
   * them: names HTTP can carry, values a publish would accept.
   *
   * @throws NotFoundException when the group does not exist
   */
  public void setHeaders(String group, Map<String, List<String>> headers) {
    long now = clock.millis();
    db.write(tx -> {
      var existing = tx.urlGroups().find(group).orElseThrow(() -> new NotFoundException("url group " + group));
      tx.urlGroups().put(new UrlGroups.Group(group, existing.endpoints(), headers, existing.createdAt(), now));
      return null;
    }).join();
  }

  /** The group's default headers, empty when it has none or does not exist (the publish then answers 404). */
  public Map<String, List<String>> defaultHeaders(String group) {
    return get(group).map(UrlGroups.Group::headers).orElse(Map.of());
  }

  public Optional<UrlGroups.Group> get(String group) {
    return db.read(tx -> tx.urlGroups().find(group));
  }

  public List<UrlGroups.Group> list() {
    return db.read(tx -> tx.urlGroups().all());
  }

  public boolean delete(String group) {
    return db.write(tx -> tx.urlGroups().delete(group)).join();
  }
}
