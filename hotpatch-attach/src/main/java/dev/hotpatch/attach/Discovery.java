package dev.hotpatch.attach;

import com.sun.tools.attach.VirtualMachine;
import com.sun.tools.attach.VirtualMachineDescriptor;
import java.util.Set;
import java.util.TreeSet;

/**
 * The ways of finding local JVM process ids. The attach API sees JVMs that publish performance
 * data and accept attach; the process table also sees those that do not (attach disabled,
 * {@code -XX:-UsePerfData}), so that they show up as NotSupported instead of not at all.
 */
enum Discovery {
    ATTACH_API {
        @Override
        Set<Long> pids() {
            Set<Long> pids = new TreeSet<>();
            for (VirtualMachineDescriptor d : VirtualMachine.list()) {
                try {
                    pids.add(Long.parseLong(d.id()));
                } catch (NumberFormatException e) {
                    // Not a local process id (another attach provider); not ours to manage.
                }
            }
            return pids;
        }
    },
    PROCESS_TABLE {
        @Override
        Set<Long> pids() {
            Set<Long> pids = new TreeSet<>();
            ProcessHandle.allProcesses().forEach(h -> {
                String command = h.info().command().orElse("");
                if (command.endsWith("/java") || command.endsWith("/javaw") || command.equals("java")) {
                    pids.add(h.pid());
                }
            });
            return pids;
        }
    };

    abstract Set<Long> pids();

    /** Every JVM process id any discovery finds, without this process. */
    static Set<Long> all() {
        Set<Long> pids = new TreeSet<>();
        for (Discovery d : values()) {
            pids.addAll(d.pids());
        }
        pids.remove(ProcessHandle.current().pid());
        return pids;
    }

    /** Whether {@code pid} is a JVM that some discovery finds. */
    static boolean finds(long pid) {
        for (Discovery d : values()) {
            if (d.pids().contains(pid)) {
                return true;
            }
        }
        return false;
    }
}
