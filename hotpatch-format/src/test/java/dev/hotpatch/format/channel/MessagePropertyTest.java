package dev.hotpatch.format.channel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Map;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;
import net.jqwik.api.constraints.IntRange;

/** The channel frame: whatever string fields go in come out unchanged, and broken frames are IOExceptions. */
class MessagePropertyTest {

    @Property(tries = 400)
    void readFrom_returnsTheFieldsWriteToWrote(@ForAll("fieldMaps") Map<String, String> fields) throws IOException {
        Message sent = new Message();
        fields.forEach(sent::put);

        Message received = Message.readFrom(new ByteArrayInputStream(frame(sent)));

        assertThat(received.fields()).isEqualTo(fields);
    }

    @Property(tries = 200)
    void fromBytes_returnsTheFieldsToBytesWrote(@ForAll("fieldMaps") Map<String, String> fields) throws IOException {
        Message sent = new Message();
        fields.forEach(sent::put);

        assertThat(Message.fromBytes(sent.toBytes()).fields()).isEqualTo(fields);
    }

    @Property(tries = 300)
    void readFrom_refusesATruncatedFrame(@ForAll("fieldMaps") Map<String, String> fields, @ForAll @IntRange(min = 1, max = 1000) int cut)
            throws IOException {
        Message sent = new Message();
        fields.forEach(sent::put);
        byte[] whole = frame(sent);
        byte[] truncated = Arrays.copyOf(whole, Math.max(0, whole.length - cut));

        assertThatThrownBy(() -> Message.readFrom(new ByteArrayInputStream(truncated))).isInstanceOf(EOFException.class);
    }

    @Property(tries = 300)
    void readFrom_ofArbitraryBytes_returnsOrThrowsIOException(@ForAll("arbitraryFrames") byte[] bytes) {
        try {
            Message.readFrom(new ByteArrayInputStream(bytes));
        } catch (IOException refused) {
            // the one allowed failure
        }
    }

    @Provide
    Arbitrary<byte[]> arbitraryFrames() {
        Arbitrary<byte[]> body = Arbitraries.bytes().array(byte[].class).ofMaxSize(300);
        Arbitrary<byte[]> withHonestLength = body.map(b -> {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            out.write(b.length >>> 24);
            out.write(b.length >>> 16);
            out.write(b.length >>> 8);
            out.write(b.length);
            out.write(b, 0, b.length);
            return out.toByteArray();
        });
        Arbitrary<byte[]> propertiesText = Arbitraries.strings().withChars("a=:\\u\\n\r#! 0F").ofMaxLength(60)
                .map(s -> s.getBytes(StandardCharsets.UTF_8)).map(b -> {
                    byte[] out = new byte[4 + b.length];
                    out[3] = (byte) b.length;
                    System.arraycopy(b, 0, out, 4, b.length);
                    return out;
                });
        return Arbitraries.frequencyOf(Tuple.of(1, body), Tuple.of(2, withHonestLength), Tuple.of(2, propertiesText));
    }

    @Example
    void readFrom_refusesAFrameLongerThanTheLimitWithoutReadingIt() throws IOException {
        for (int length : new int[] {Message.MAX_BYTES + 1, Integer.MAX_VALUE, -1, Integer.MIN_VALUE}) {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            new DataOutputStream(out).writeInt(length);

            assertThatThrownBy(() -> Message.readFrom(new ByteArrayInputStream(out.toByteArray())))
                    .isInstanceOf(IOException.class)
                    .hasMessageContaining("refusing a channel frame of " + length + " bytes (limit " + Message.MAX_BYTES + ")");
        }
    }

    @Example
    void writeTo_refusesAMessageLongerThanTheLimit() {
        char[] big = new char[Message.MAX_BYTES];
        Arrays.fill(big, 'x');
        Message m = Message.of("op", "apply", "blob", new String(big));
        ByteArrayOutputStream out = new ByteArrayOutputStream();

        assertThatThrownBy(() -> m.writeTo(out))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("exceeds the channel limit of " + Message.MAX_BYTES);
        assertThat(out.size()).isZero();
    }

    @Example
    void readFrom_refusesAnEmptyStreamSayingThePeerClosed() {
        assertThatThrownBy(() -> Message.readFrom(new ByteArrayInputStream(new byte[0])))
                .isInstanceOf(EOFException.class)
                .hasMessageContaining("closed the channel without a reply");
    }

    @Example
    void readFrom_refusesAMalformedUnicodeEscape() {
        byte[] body = "message=\\uZZZZ\n".getBytes(StandardCharsets.US_ASCII);
        byte[] frame = new byte[4 + body.length];
        frame[3] = (byte) body.length;
        System.arraycopy(body, 0, frame, 4, body.length);

        assertThatThrownBy(() -> Message.readFrom(new ByteArrayInputStream(frame)))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("malformed channel message");
    }

    /** Java strings may hold unpaired surrogates (a class name can); UTF-8 would turn them into '?'. */
    @Example
    void readFrom_keepsUnpairedSurrogates() throws IOException {
        Message sent = Message.of("class", "acme/Odd\ud800Name", "\udc00key", "v");

        Message received = Message.readFrom(new ByteArrayInputStream(frame(sent)));

        assertThat(received.fields()).isEqualTo(sent.fields());
    }

    @Example
    void readFrom_readsConsecutiveFramesFromOneStream() throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        Message.of("op", "list").writeTo(out);
        Message.of("status", "ok", "message", "2 installed").writeTo(out);
        ByteArrayInputStream in = new ByteArrayInputStream(out.toByteArray());

        assertThat(Message.readFrom(in).get("op")).isEqualTo("list");
        assertThat(Message.readFrom(in).get("message")).isEqualTo("2 installed");
    }

    @Provide
    Arbitrary<Map<String, String>> fieldMaps() {
        Arbitrary<String> pieces = Arbitraries.of("=", ":", " ", "  ", "\t", "\n", "\r", "\r\n", "\f", "#", "!", "\\", "\\u0041",
                "\u0000", "\u00e9", "\u2028", "\u0085", "\ud83d\ude00", "\ud800", "\udc00", "\ufeff", "key", "value", "a.b.0.c");
        Arbitrary<String> tricky = pieces.list().ofMaxSize(6).map(l -> String.join("", l));
        Arbitrary<String> any = Arbitraries.strings().all().ofMaxLength(20);
        Arbitrary<String> strings = Arbitraries.frequencyOf(Tuple.of(3, tricky), Tuple.of(2, any));
        return Arbitraries.maps(strings, strings).ofMaxSize(6);
    }

    private static byte[] frame(Message m) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        m.writeTo(out);
        return out.toByteArray();
    }
}
