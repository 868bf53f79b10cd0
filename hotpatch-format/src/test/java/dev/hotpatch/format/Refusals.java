package dev.hotpatch.format;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.assertj.core.api.AbstractThrowableAssert;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;

/** Assertion that an operation was refused with a {@link PackageException} of a given reason. */
final class Refusals {
    private Refusals() {
    }

    /** Asserts {@code call} throws a {@link PackageException} with {@code reason}; chain message checks on the result. */
    static AbstractThrowableAssert<?, ? extends Throwable> assertRefused(ThrowingCallable call, PackageException.Reason reason) {
        return assertThatThrownBy(call)
                .isInstanceOf(PackageException.class)
                .satisfies(e -> assertThat(((PackageException) e).reason())
                        .as("reason for refusal '%s'", e.getMessage())
                        .isEqualTo(reason));
    }
}
