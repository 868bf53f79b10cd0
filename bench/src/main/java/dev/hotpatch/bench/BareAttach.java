package dev.hotpatch.bench;

import com.sun.tools.attach.VirtualMachine;

/**
 * The bare-JDK baseline for a whole {@code hotpatch apply} process: the least a Java program can
 * do to patch another JVM, namely attach, load {@link BareAgent}, read its timing back and detach.
 * JDK only; run from the jar {@link BareTools} writes, so nothing else is on its class path.
 *
 * <p>Arguments: {@code PID AGENT_JAR AGENT_ARGS}; prints {@code TOTAL_NANOS,REDEFINE_NANOS}.
 */
public final class BareAttach {
    private BareAttach() {
    }

    public static void main(String[] args) throws Exception {
        VirtualMachine vm = VirtualMachine.attach(args[0]);
        try {
            vm.loadAgent(args[1], args[2]);
            String key = args[2].substring(0, args[2].indexOf('|'));
            System.out.println(vm.getSystemProperties().getProperty(BareAgent.PROPERTY_PREFIX + key));
        } finally {
            vm.detach();
        }
    }
}
