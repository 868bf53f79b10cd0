package dev.hotpatch.builder.rewrite;

/** A change the rewriter found it cannot express; the message is the reason a report shows. */
final class Unsupported extends RuntimeException {
    private static final long serialVersionUID = 1L;

    Unsupported(String reason) {
        super(reason, null, false, false);
    }
}
