package dev.hotpatch.attach;

/**
 * The rules that decide a JVM's {@link HotpatchStatus}, tried in declaration order; the first rule
 * with an opinion decides. Each constant is one case, so a new case is a new constant in the right place.
 */
enum Eligibility {
    /** It is stopped or did not answer in time: nothing is known yet. */
    NOT_ANSWERING {
        @Override
        Verdict apply(Probe p) {
            return p.unanswered() ? new Verdict(HotpatchStatus.PENDING_EVALUATION, p.attachFailure()) : null;
        }
    },
    /** Attach did not work: nothing can reach the JVM. */
    ATTACH_FAILED {
        @Override
        Verdict apply(Probe p) {
            return p.attached() ? null : new Verdict(HotpatchStatus.NOT_SUPPORTED, p.attachFailure());
        }
    },
    /** The agent channel is a Unix-domain socket, which Java gained in 16. */
    TOO_OLD {
        @Override
        Verdict apply(Probe p) {
            int feature = p.javaFeature();
            return feature > 0 && feature < 16 ? new Verdict(HotpatchStatus.NOT_SUPPORTED,
                    "needs Java 16+ for the agent channel (it runs Java " + p.javaVersion() + ")") : null;
        }
    },
    /** The agent runs in it already: enrolled at start, or attached earlier. */
    AGENT_PRESENT {
        @Override
        Verdict apply(Probe p) {
            if (!p.agentPresent()) {
                return null;
            }
            if (p.socket().isEmpty()) {
                return new Verdict(HotpatchStatus.NOT_SUPPORTED, "the hotpatch agent in it has no channel open (agent "
                        + p.system().getProperty(Probe.AGENT_VERSION, "?") + "); see the JVM's standard error");
            }
            return new Verdict(HotpatchStatus.ENABLED, "");
        }
    },
    /** Without the agent, and with dynamic loading switched off, nothing can bring the agent in. */
    DYNAMIC_LOADING_DISABLED {
        @Override
        Verdict apply(Probe p) {
            return p.dynamicLoadingDisabled() ? new Verdict(HotpatchStatus.NOT_SUPPORTED, DYNAMIC_LOADING_DISABLED_REASON) : null;
        }
    },
    /** Attachable: the agent will be loaded on the first install. */
    ATTACHABLE {
        @Override
        Verdict apply(Probe p) {
            return new Verdict(HotpatchStatus.ENABLED, p.javaFeature() >= 21 ? JEP_451_NOTE : "");
        }
    };

    static final String DYNAMIC_LOADING_DISABLED_REASON =
            "dynamic agent loading is disabled; restart it with -javaagent:<path> (see 'hotpatch agent-path')";
    static final String JEP_451_NOTE = "dynamic attach prints a JEP 451 warning; enroll with -javaagent to avoid it";

    /** This rule's verdict, or {@code null} when the rule does not apply. */
    abstract Verdict apply(Probe p);

    static Verdict judge(Probe probe) {
        for (Eligibility rule : values()) {
            Verdict v = rule.apply(probe);
            if (v != null) {
                return v;
            }
        }
        throw new IllegalStateException("the last eligibility rule always decides");
    }

    /** A status and its reason (empty when there is nothing to say). */
    record Verdict(HotpatchStatus status, String reason) {
    }
}
