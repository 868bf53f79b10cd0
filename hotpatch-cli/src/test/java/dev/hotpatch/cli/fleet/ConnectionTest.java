package dev.hotpatch.cli.fleet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Where operator commands find their server and token: options, then environment, then a local server's admin token file. */
class ConnectionTest {
    @TempDir
    Path home;

    @Test
    void options_winOverEnvironment_whichWinsOverTheLocalAdminTokenFile() throws Exception {
        adminToken("hpt_from_file");
        Connection c = new Connection();
        assertThat(c.resolve(Map.of(), home)).isEqualTo(new Connection.Resolved(URI.create("http://127.0.0.1:8080"), "hpt_from_file",
                home.resolve(".hotpatch/server/admin.token").toString()));
        assertThat(c.resolve(Map.of("HOTPATCH_TOKEN", "hpt_env", "HOTPATCH_SERVER", "http://localhost:9000/"), home))
                .isEqualTo(new Connection.Resolved(URI.create("http://localhost:9000"), "hpt_env", "HOTPATCH_TOKEN"));
        c.server = "https://hotpatch.example:8443";
        c.token = " hpt_option\n";
        assertThat(c.resolve(Map.of("HOTPATCH_TOKEN", "hpt_env", "HOTPATCH_SERVER", "http://localhost:9000"), home))
                .isEqualTo(new Connection.Resolved(URI.create("https://hotpatch.example:8443"), "hpt_option", "--token"));
        c.token = null;
        c.tokenFile = Files.writeString(home.resolve("t"), "hpt_file_option\n");
        assertThat(c.resolve(Map.of(), home).token()).isEqualTo("hpt_file_option");
    }

    @Test
    void theLocalAdminToken_isNeverSentToAnotherHost() throws Exception {
        adminToken("hpt_local_secret");
        Connection c = new Connection();
        c.server = "http://192.0.2.10:8080";
        assertThatThrownBy(() -> c.resolve(Map.of(), home)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("no API token").hasMessageContaining("only used for a server on this host");
    }

    @Test
    void noTokenAnywhere_isAUsageErrorSayingWhereTokensComeFrom() {
        assertThatThrownBy(() -> new Connection().resolve(Map.of(), home)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("--token").hasMessageContaining("HOTPATCH_TOKEN").hasMessageContaining("admin.token");
    }

    @Test
    void aServerThatIsNotARootHttpUrl_isAUsageError() {
        Connection c = new Connection();
        c.token = "hpt_x";
        for (String bad : new String[] {"ftp://h:1", "127.0.0.1:8080", "http://h:1/api/v1", "http://h:1?x=1"}) {
            c.server = bad;
            assertThatThrownBy(() -> c.resolve(Map.of(), home)).as(bad).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("http://127.0.0.1:8080");
        }
    }

    private void adminToken(String secret) throws Exception {
        Path f = Files.createDirectories(home.resolve(".hotpatch/server")).resolve("admin.token");
        Files.writeString(f, secret + "\n");
    }
}
