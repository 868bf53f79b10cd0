package dev.hotpatch.node.access;

import dev.hotpatch.attach.AgentClient;
import dev.hotpatch.attach.AgentInfo;
import dev.hotpatch.attach.AgentReport;
import dev.hotpatch.attach.ApplyResult;
import dev.hotpatch.attach.InstalledHotpatch;
import dev.hotpatch.attach.JvmInfo;
import dev.hotpatch.attach.LocalJvms;
import dev.hotpatch.attach.UninstallResult;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.Properties;

/** {@link TargetAccess} in this process, as this process's user: the node runs as its JVMs' user (or both are root). Stateless. */
final class SameUser implements TargetAccess {

    @Override
    public List<JvmInfo> listJvms() {
        return LocalJvms.list();
    }

    @Override
    public Optional<JvmInfo> findJvm(long pid) {
        return LocalJvms.find(pid);
    }

    @Override
    public Properties systemProperties(long pid) {
        return LocalJvms.systemProperties(pid);
    }

    @Override
    public Inspection inspect(long pid) {
        Optional<AgentClient> client = AgentClient.connectIfPresent(pid);
        if (client.isEmpty()) {
            return Inspection.absent();
        }
        try (AgentClient a = client.get()) {
            AgentInfo info = a.ping();
            AgentReport report = a.report();
            return new Inspection(true, a.mode(), info, report.hotpatches(), report.restartPending(), report.problems());
        }
    }

    @Override
    public Applied apply(long pid, String agentName, Path pkg, Path trust, String actor) {
        try (AgentClient agent = AgentClient.connect(pid, agentName)) {
            ApplyResult r = agent.apply(pkg, trust, actor);
            return new Applied(r, agent.loadedNow());
        }
    }

    @Override
    public Uninstalled uninstall(long pid, String kbId, String actor) {
        Optional<AgentClient> client = AgentClient.connectIfPresent(pid);
        if (client.isEmpty()) {
            return new Uninstalled(false, List.of(), null);
        }
        try (AgentClient agent = client.get()) {
            List<String> installed = agent.list().stream().map(InstalledHotpatch::id).toList();
            if (kbId != null && !installed.contains(kbId)) {
                return new Uninstalled(true, installed, null);
            }
            UninstallResult r = agent.uninstall(kbId, actor);
            return new Uninstalled(true, installed, r);
        }
    }
}
