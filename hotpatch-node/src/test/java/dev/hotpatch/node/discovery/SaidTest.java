package dev.hotpatch.node.discovery;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.Test;

class SaidTest {
    @Test
    void aWarningIsLoggedOnce_andAgainOnlyAfterItWentAway() {
        List<String> logged = new ArrayList<>();
        Handler h = new Handler() {
            @Override
            public void publish(LogRecord r) {
                logged.add(r.getLevel() + " " + r.getMessage());
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };
        Logger jul = Logger.getLogger("dev.hotpatch.node");
        jul.addHandler(h);
        try {
            Said said = new Said();
            String clash = "JVM 42 (app) also calls itself machine 'fees', which is JVM 7";
            said.report(List.of(clash), List.of("not managed: shop"));
            said.report(List.of(clash), List.of("not managed: shop"));
            said.report(List.of(clash), List.of("not managed: shop"));
            assertThat(logged).containsExactly("WARNING " + clash, "INFO not managed: shop");

            said.report(List.of(), List.of("not managed: shop"));
            said.report(List.of(clash), List.of("not managed: shop"));
            assertThat(logged).containsExactly("WARNING " + clash, "INFO not managed: shop", "WARNING " + clash);
        } finally {
            jul.removeHandler(h);
        }
    }
}
