package dev.herald.store;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The SQLite data directory holds message bodies and headers, and headers carry tokens
 * ({@code Upstash-Forward-Authorization}, callbacks' credentials). Files take the process umask (often
 * 0644), so Herald creates the directory owner-only (0700) and its own files 0600. SQLite gives the
 * {@code -wal} and {@code -shm} files the mode of the database file, so {@code herald.db} is created
 * here, empty, before SQLite opens it. A directory that already exists keeps its mode (the operator
 * chose it): if other users can read it, one warning says so at start. On a file system without POSIX
 * permissions nothing is set or checked.
 */
final class DataDir {
  private static final Logger log = LoggerFactory.getLogger(DataDir.class);
  private static final Set<PosixFilePermission> OWNER_DIR = PosixFilePermissions.fromString("rwx------");
  private static final Set<PosixFilePermission> OWNER_FILE = PosixFilePermissions.fromString("rw-------");

  private DataDir() {}

  /** Creates {@code dir} owner-only, or warns once if the existing one is open to other users. */
  static void prepare(Path dir) throws IOException {
    boolean posix = posix(dir);
    if (!Files.isDirectory(dir)) {
      if (posix) Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(OWNER_DIR));
      else Files.createDirectories(dir);
      return;
    }
    if (!posix) return;
    Set<PosixFilePermission> mode = Files.getPosixFilePermissions(dir);
    if (mode.contains(PosixFilePermission.GROUP_READ) || mode.contains(PosixFilePermission.OTHERS_READ)
        || mode.contains(PosixFilePermission.GROUP_EXECUTE) || mode.contains(PosixFilePermission.OTHERS_EXECUTE)) {
      log.warn("the data directory {} is open to other users ({}): its files hold message bodies and headers, "
          + "tokens among them; make it owner-only (chmod 700)", dir.toAbsolutePath(), PosixFilePermissions.toString(mode));
    }
  }

  /**
   * Every publish is written here: a directory this process cannot write to (a read-only mount, a
   * volume owned by another user) stops the start instead of failing at the first publish.
   */
  static void checkWritable(Path dir) {
    if (Files.isWritable(dir)) return;
    throw new StoreUnavailableException("the data directory " + dir.toAbsolutePath() + " is not writable (a read-only "
        + "file system, or owned by another user): Herald writes every publish there", null);
  }

  /** Creates {@code file} empty and owner-only if it does not exist; an existing one keeps its mode. */
  static void createPrivate(Path file) throws IOException {
    if (Files.exists(file)) return;
    try {
      Files.newByteChannel(file, Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE), privateFile(file)).close();
    } catch (java.nio.file.FileAlreadyExistsException raced) {
      // made meanwhile: keep it
    }
  }

  /** The attributes for a file Herald creates in {@code dir}'s file system: owner-only where POSIX. */
  static FileAttribute<?>[] privateFile(Path file) {
    return posix(file.toAbsolutePath().getParent())
        ? new FileAttribute<?>[] {PosixFilePermissions.asFileAttribute(OWNER_FILE)} : new FileAttribute<?>[0];
  }

  private static boolean posix(Path p) {
    return p.getFileSystem().supportedFileAttributeViews().contains("posix");
  }
}
