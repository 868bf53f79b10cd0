package acme.log4shell;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * The Log4Shell sample application: a process on log4j-core 2.14.1 that logs text it is sent,
 * the pattern behind CVE-2021-44228, so that the JndiLookup hotfix can be shown working live.
 *
 * <p>Commands on standard input, one answer line each on standard output: {@code log <text>}
 * logs {@code user said: <text>} at ERROR and answers {@code logged}; {@code quit} answers
 * {@code bye} and exits. Single-threaded.
 */
public final class App {
    private static final Logger LOGGER = LogManager.getLogger(App.class);

    private App() {
    }

    /** Prints {@code ready pid=<pid>}, then answers commands until {@code quit} or end of input. */
    public static void main(String[] args) throws IOException {
        System.out.println("ready pid=" + ProcessHandle.current().pid());
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        for (String line; (line = in.readLine()) != null; ) {
            if (line.equals("quit")) {
                System.out.println("bye");
                System.exit(0);
            } else if (line.startsWith("log ")) {
                // The parameter is user input: 2.14.1 resolves ${...} lookups inside it when formatting.
                LOGGER.error("user said: {}", line.substring("log ".length()));
                System.out.println("logged");
            } else if (!line.isBlank()) {
                System.out.println("error unknown command");
            }
        }
    }
}
