package dev.hotpatch.node.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hotpatch.format.OwnerOnly;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The node's data folders follow the shared owner-only rule: no links, no other owner, nobody else may write. */
class PrivateFilesTest {
    @TempDir
    Path tmp;

    @Test
    void folder_refusesADataFolderOfAnotherUser() throws IOException {
        if (OwnerOnly.myUid() != 0) {
            throw new AssertionError("chown to another uid needs root; run this module's tests as root (CI does)");
        }
        Path data = Files.createDirectory(tmp.resolve("data"), PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        Files.setAttribute(data, "unix:uid", 4242, LinkOption.NOFOLLOW_LINKS);

        assertThatThrownBy(() -> PrivateFiles.folder(data)).hasMessageContaining("belongs to uid 4242");
    }

    @Test
    void folder_refusesAWorldWritableFolder_andALink() throws IOException {
        Path open = Files.createDirectory(tmp.resolve("open"));
        Files.setPosixFilePermissions(open, PosixFilePermissions.fromString("rwxrwxrwx"));
        Path link = Files.createSymbolicLink(tmp.resolve("link"), Files.createDirectory(tmp.resolve("real")));

        assertThatThrownBy(() -> PrivateFiles.folder(open)).hasMessageContaining("writable by other users");
        assertThatThrownBy(() -> PrivateFiles.folder(link)).hasMessageContaining("is a symbolic link");
    }

    @Test
    void write_isOwnerOnly() throws IOException {
        Path f = PrivateFiles.folder(tmp.resolve("data")).resolve("state.json");
        PrivateFiles.write(f, "{}".getBytes());
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(f))).isEqualTo("rw-------");
    }
}
