package dev.hotpatch.attach;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hotpatch.format.Sha256;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AgentJarTest {
    @TempDir
    Path tmp;

    @Test
    void extract_writesOwnerOnlyFileNamedByItsHashInOwnerOnlyFolder() throws Exception {
        Path dir = tmp.resolve("cache/hotpatch");

        Path jar = AgentJar.extractTo(dir);

        byte[] embedded = embedded();
        assertThat(jar.getParent()).isEqualTo(dir);
        assertThat(jar.getFileName().toString()).isEqualTo("agent-" + Sha256.hex(embedded).substring(0, 16) + ".jar");
        assertThat(Files.readAllBytes(jar)).isEqualTo(embedded);
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dir))).isEqualTo("rwx------");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(jar))).isEqualTo("rw-------");
    }

    @Test
    void extract_reusesIntactFile() throws Exception {
        Path first = AgentJar.extractTo(tmp);
        long modified = Files.getLastModifiedTime(first).toMillis();
        Files.setLastModifiedTime(first, java.nio.file.attribute.FileTime.fromMillis(modified - 60_000));

        Path second = AgentJar.extractTo(tmp);

        assertThat(second).isEqualTo(first);
        assertThat(Files.getLastModifiedTime(second).toMillis()).isEqualTo(modified - 60_000);
    }

    @Test
    void extract_replacesFileWhoseContentWasChanged() throws Exception {
        Path jar = AgentJar.extractTo(tmp);
        Files.write(jar, new byte[] {'P', 'K', 0, 0});

        Path again = AgentJar.extractTo(tmp);

        assertThat(again).isEqualTo(jar);
        assertThat(Files.readAllBytes(again)).isEqualTo(embedded());
    }

    @Test
    void extract_refusesFolderOthersCouldWriteTo_andChangesNothing() throws Exception {
        // Someone else may have put a jar there already: the shared rule refuses such a folder instead of tightening it.
        Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwxrwxrwx"));

        assertThatThrownBy(() -> AgentJar.extractTo(tmp))
                .isInstanceOf(AttachException.class)
                .hasMessageContaining("agent cache folder " + tmp + " is writable by other users");
        try (var s = Files.list(tmp)) {
            assertThat(s).isEmpty();
        }
    }

    @Test
    void extract_tightensItsOwnFolderThatOthersCouldRead() throws Exception {
        Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwxr-xr-x"));

        AgentJar.extractTo(tmp);

        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(tmp))).isEqualTo("rwx------");
    }

    @Test
    void extract_refusesFolderOfAnotherUser() throws Exception {
        if (dev.hotpatch.format.OwnerOnly.myUid() != 0) {
            throw new AssertionError("chown to another uid needs root; run this module's tests as root (CI does)");
        }
        Path theirs = Files.createDirectory(tmp.resolve("theirs"));
        Files.setAttribute(theirs, "unix:uid", 4242, java.nio.file.LinkOption.NOFOLLOW_LINKS);

        assertThatThrownBy(() -> AgentJar.extractTo(theirs))
                .isInstanceOf(AttachException.class)
                .hasMessageContaining("belongs to uid 4242");
    }

    @Test
    void extract_refusesFolderThatIsALink() throws Exception {
        Path real = Files.createDirectory(tmp.resolve("real"));
        Path link = Files.createSymbolicLink(tmp.resolve("cache"), real);

        assertThatThrownBy(() -> AgentJar.extractTo(link))
                .isInstanceOf(AttachException.class)
                .hasMessageContaining("is a symbolic link");
    }

    @Test
    void extract_refusesLinkInPlaceOfTheJar() throws Exception {
        Path jar = AgentJar.extractTo(tmp);
        Files.delete(jar);
        Path elsewhere = Files.writeString(tmp.resolve("elsewhere"), "x");
        Files.createSymbolicLink(jar, elsewhere);

        assertThatThrownBy(() -> AgentJar.extractTo(tmp))
                .isInstanceOf(AttachException.class)
                .hasMessageContaining("not a regular file");
    }

    @Test
    void path_isUnderTheUsersCache() {
        assertThat(AgentJar.cacheFolder().getFileName().toString()).isEqualTo("hotpatch");
    }

    private static byte[] embedded() throws Exception {
        try (InputStream in = AgentJar.class.getResourceAsStream(AgentJar.RESOURCE)) {
            return in.readAllBytes();
        }
    }
}
