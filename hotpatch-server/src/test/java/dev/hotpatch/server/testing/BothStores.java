package dev.hotpatch.server.testing;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.TestTemplate;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.Extension;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;
import org.junit.jupiter.api.extension.TestTemplateInvocationContext;
import org.junit.jupiter.api.extension.TestTemplateInvocationContextProvider;

/**
 * Runs a test twice, against a fresh server on the embedded SQLite store and on PostgreSQL; the
 * test takes a {@link TestServer} parameter. The server is stopped after the test.
 */
@Target(ElementType.METHOD)
@Retention(RetentionPolicy.RUNTIME)
@TestTemplate
@ExtendWith(BothStores.Provider.class)
public @interface BothStores {

    /** Supplies the two invocations. */
    final class Provider implements TestTemplateInvocationContextProvider {
        @Override
        public boolean supportsTestTemplate(ExtensionContext context) {
            return true;
        }

        @Override
        public Stream<TestTemplateInvocationContext> provideTestTemplateInvocationContexts(ExtensionContext context) {
            return Stream.of(invocation("sqlite"), invocation("postgresql"));
        }

        private static TestTemplateInvocationContext invocation(String store) {
            return new TestTemplateInvocationContext() {
                @Override
                public String getDisplayName(int index) {
                    return "[" + store + "]";
                }

                @Override
                public List<Extension> getAdditionalExtensions() {
                    return List.of(new Resolver(store));
                }
            };
        }
    }

    /** Starts the server for one invocation and stops it afterwards. */
    final class Resolver implements ParameterResolver, AfterEachCallback {
        private final String store;

        Resolver(String store) {
            this.store = store;
        }

        @Override
        public boolean supportsParameter(ParameterContext p, ExtensionContext e) {
            return p.getParameter().getType() == TestServer.class;
        }

        @Override
        public Object resolveParameter(ParameterContext p, ExtensionContext e) {
            try {
                TestServer s = new TestServer(store);
                e.getStore(ExtensionContext.Namespace.create(Resolver.class)).put("server", s);
                return s;
            } catch (java.io.IOException ex) {
                throw new IllegalStateException(ex);
            }
        }

        @Override
        public void afterEach(ExtensionContext e) throws Exception {
            TestServer s = e.getStore(ExtensionContext.Namespace.create(Resolver.class)).remove("server", TestServer.class);
            if (s != null) {
                s.close();
            }
        }
    }
}
