package dev.hotpatch.builder;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class IncludeFilterTest {

    @Test
    void noPatterns_includeEverything() {
        IncludeFilter f = IncludeFilter.of(List.of());

        assertThat(f.includesAll()).isTrue();
        assertThat(f.includes("any/Thing")).isTrue();
    }

    @Test
    void dottedAndInternalNames_matchExactly() {
        IncludeFilter f = IncludeFilter.of(List.of("acme.Fees", "org/apache/logging/log4j/core/lookup/JndiLookup"));

        assertThat(f.includes("acme/Fees")).isTrue();
        assertThat(f.includes("org/apache/logging/log4j/core/lookup/JndiLookup")).isTrue();
        assertThat(f.includes("acme/FeesX")).isFalse();
        assertThat(f.includes("acme/Fees$1")).isFalse();
    }

    @Test
    void classSuffix_isAccepted() {
        assertThat(IncludeFilter.of(List.of("acme/Fees.class")).includes("acme/Fees")).isTrue();
    }

    @Test
    void star_doesNotCrossPackages() {
        IncludeFilter f = IncludeFilter.of(List.of("acme/*"));

        assertThat(f.includes("acme/Fees")).isTrue();
        assertThat(f.includes("acme/Fees$Inner")).isTrue();
        assertThat(f.includes("acme/sub/Deep")).isFalse();
    }

    @Test
    void doubleStar_crossesPackages_includingNone() {
        IncludeFilter f = IncludeFilter.of(List.of("org/**/JndiLookup"));

        assertThat(f.includes("org/apache/logging/log4j/core/lookup/JndiLookup")).isTrue();
        assertThat(f.includes("org/JndiLookup")).isTrue();
        assertThat(f.includes("org/apache/JndiLookupX")).isFalse();
        assertThat(IncludeFilter.of(List.of("acme.**")).includes("acme/a/b/C")).isTrue();
    }

    @Test
    void questionMark_matchesOneCharacterWithinASegment() {
        IncludeFilter f = IncludeFilter.of(List.of("acme/Fee?"));

        assertThat(f.includes("acme/Fees")).isTrue();
        assertThat(f.includes("acme/Fee")).isFalse();
    }

    @Test
    void regexCharacters_areLiteral() {
        assertThat(IncludeFilter.of(List.of("acme/Fees$1")).includes("acme/Fees$1")).isTrue();
        assertThat(IncludeFilter.of(List.of("acme/Fe+s")).includes("acme/Fees")).isFalse();
    }

    @Test
    void unmatched_listsPatternsThatSelectNothing() {
        IncludeFilter f = IncludeFilter.of(List.of("acme/*", "other/**"));

        assertThat(f.unmatched(List.of("acme/Fees"))).containsExactly("other/**");
    }

    @Test
    void emptyOrWhitespacePattern_isRejected() {
        assertThatThrownBy(() -> IncludeFilter.of(List.of(" ")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("empty --include pattern");
        assertThatThrownBy(() -> IncludeFilter.of(List.of("acme/ Fees")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("invalid --include pattern 'acme/ Fees'");
    }
}
