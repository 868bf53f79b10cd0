package dev.hotpatch.server.node;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hotpatch.server.ServerException;
import dev.hotpatch.server.assessment.Assessor;
import dev.hotpatch.server.auth.Principal;
import dev.hotpatch.server.auth.Tokens;
import dev.hotpatch.server.catalog.Catalog;
import dev.hotpatch.server.history.History;
import dev.hotpatch.server.install.Commands;
import dev.hotpatch.server.install.Operations;
import dev.hotpatch.server.machine.Binding;
import dev.hotpatch.server.machine.MachineReport;
import dev.hotpatch.server.machine.Machines;
import dev.hotpatch.server.store.Database;
import dev.hotpatch.server.store.Json;
import dev.hotpatch.testkit.PostgresCluster;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The waits of the long-poll on their own, over a real database (SQLite and PostgreSQL) and the
 * real node protocol, with the database poll switched off: a wait is answered by the in-process
 * signal of the transaction that queues a command; the number of waits is bounded; a node's new
 * wait ends its previous one; and stopping answers every wait.
 */
class CommandWaitsTest {
    private static final Duration BOUND = Duration.ofSeconds(30);

    /** The node protocol over a fresh database, with one enrolled node reporting machine {@code fees-1}. */
    private static final class Protocol implements AutoCloseable {
        final Database db;
        final Operations operations;
        final Commands commands;
        final NodeProtocol nodes;
        final String nodeId;
        final String otherNodeId;

        Protocol(String store) throws Exception {
            Clock clock = Clock.systemUTC();
            if (store.equals("postgresql")) {
                PostgresCluster pg = PostgresCluster.get();
                assertThat(pg).as("PostgreSQL: " + PostgresCluster.unavailableReason()).isNotNull();
                this.db = Database.open(pg.newDatabase(), null, null);
            } else {
                this.db = Database.sqlite(Files.createTempDirectory("command-waits-"));
            }
            Catalog catalog = new Catalog(db, clock);
            Machines machines = new Machines(db);
            Assessor assessor = new Assessor(db, catalog, machines, clock);
            this.commands = new Commands(Duration.ofMinutes(10));
            History history = new History(db, clock, Duration.ofDays(30));
            this.operations = new Operations(db, clock, machines, catalog, assessor, history, commands);
            Tokens tokens = new Tokens(db, clock);
            this.nodes = new NodeProtocol(db, clock, tokens, machines, assessor, operations, commands, Duration.ofSeconds(60), Duration.ofDays(1),
                    new Binding(db, clock, history, machines));
            Principal node = enroll(tokens, "host-1");
            this.nodeId = node.id();
            this.otherNodeId = enroll(tokens, "host-2").id();
            MachineReport report = Json.read("{\"name\":\"fees-1\",\"pid\":4242,\"jars\":[],\"agent\":{\"present\":false,\"mode\":\"none\"}}",
                    MachineReport.class);
            nodes.checkIn(node, new CheckIn.Request("host-1", "test", List.of(report)));
        }

        private static Principal enroll(Tokens tokens, String host) {
            Tokens.Issued t = tokens.createEnrollmentToken(host, Duration.ofHours(1), "test");
            Tokens.Enrolled e = tokens.enroll(tokens.authenticate(t.token()), host, "test");
            return tokens.authenticate(e.credential());
        }

        /** Waits that see new commands only through the in-process signal (no database poll), at most {@code max} at once. */
        CommandWaits waits(int max) {
            CommandWaits w = new CommandWaits(nodes, max, Duration.ZERO);
            commands.onEnqueued(w::signal);
            return w;
        }

        @Override
        public void close() {
            nodes.close();
            db.close();
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"sqlite", "postgresql"})
    void wait_isAnsweredBySignalOfTheTransactionThatQueuesACommand(String store) throws Exception {
        try (Protocol p = new Protocol(store)) {
            CommandWaits waits = p.waits(10);
            CompletableFuture<CheckIn.Response> waiting = waits.await(p.nodeId, Duration.ofSeconds(25));
            CompletableFuture<CheckIn.Response> other = waits.await(p.otherNodeId, Duration.ofSeconds(25));

            p.operations.assess("fees-1", "test");

            CheckIn.Response r = waiting.get(BOUND.toSeconds(), TimeUnit.SECONDS);
            assertThat(r.commands()).hasSize(1);
            assertThat(r.commands().get(0).type()).isEqualTo("assess");
            assertThat(r.commands().get(0).machine()).isEqualTo("fees-1");
            assertThat(other).as("the other node's wait is not touched").isNotDone();
            assertThat(waits.waiting()).isEqualTo(1);
            waits.close();
            assertThat(other.get(BOUND.toSeconds(), TimeUnit.SECONDS).commands()).as("stopping answers every wait, empty").isEmpty();
            assertThat(waits.waiting()).isZero();
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"sqlite", "postgresql"})
    void waits_areBounded_andANodesNewWaitEndsItsPreviousOne(String store) throws Exception {
        try (Protocol p = new Protocol(store)) {
            CommandWaits waits = p.waits(1);
            CompletableFuture<CheckIn.Response> first = waits.await(p.nodeId, Duration.ofSeconds(25));

            assertThatThrownBy(() -> waits.await(p.otherNodeId, Duration.ofSeconds(25)))
                    .isInstanceOf(ServerException.Unavailable.class).hasMessageContaining("1 nodes wait for commands");

            CompletableFuture<CheckIn.Response> second = waits.await(p.nodeId, Duration.ofSeconds(25));
            assertThat(first.get(BOUND.toSeconds(), TimeUnit.SECONDS).commands()).as("superseded, answered empty").isEmpty();
            assertThat(waits.waiting()).isEqualTo(1);
            p.operations.assess("fees-1", "test");
            assertThat(second.get(BOUND.toSeconds(), TimeUnit.SECONDS).commands()).hasSize(1);
            assertThat(waits.await(p.nodeId, Duration.ZERO).get(BOUND.toSeconds(), TimeUnit.SECONDS).commands())
                    .as("claimed once").isEmpty();
            waits.close();
            assertThatThrownBy(() -> waits.await(p.nodeId, Duration.ofSeconds(1))).isInstanceOf(ServerException.Unavailable.class)
                    .hasMessageContaining("stopping");
        }
    }
}
