package dev.hotpatch.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.reflect.Method;
import java.net.URI;
import java.nio.file.FileSystem;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Iterator;
import java.util.stream.Stream;

/**
 * Launches a target JVM the size of a real service: loads the given number of the JDK's own
 * classes (without initializing them), then runs the given main class. A redefinition walks every
 * loaded class and the agent's scan lists them all, so the JVM's size, not only the patch's, sets
 * both sides of the warm benchmark; the fees app alone loads ~1,800 classes, a Spring Boot service
 * 10,000–20,000. JDK only; it runs from the jar {@link BareTools#writeBallastJar} writes.
 *
 * <p>Arguments: {@code CLASSES MAIN-CLASS [ARGS...]}. Prints {@code ballast loaded=N} before the
 * main class starts.
 */
public final class Ballast {
    /** The modules the classes come from, in this order: large, and loadable without their own start-up. */
    private static final String[] MODULES = {"java.base", "java.desktop", "java.xml", "jdk.compiler", "java.sql",
        "java.naming", "java.management", "jdk.jfr", "java.net.http", "java.rmi", "java.scripting", "jdk.jshell"};

    private Ballast() {
    }

    public static void main(String[] args) throws Throwable {
        if (args.length < 2) {
            throw new IllegalArgumentException("usage: Ballast CLASSES MAIN-CLASS [ARGS...]");
        }
        int wanted = Integer.parseInt(args[0]);
        System.out.println("ballast loaded=" + load(wanted));
        Method main = Class.forName(args[1]).getMethod("main", String[].class);
        main.invoke(null, (Object) Arrays.copyOfRange(args, 2, args.length));
    }

    /** Loads up to {@code wanted} JDK classes in a fixed order, skipping those that fail to load; returns how many loaded. */
    static int load(int wanted) throws IOException {
        FileSystem jrt = FileSystems.getFileSystem(URI.create("jrt:/"));
        ClassLoader loader = ClassLoader.getSystemClassLoader();
        int loaded = 0;
        for (String module : MODULES) {
            Path root = jrt.getPath("/modules", module);
            if (!Files.isDirectory(root)) {
                continue;
            }
            try (Stream<Path> files = Files.walk(root)) {
                Iterator<Path> it = files.filter(p -> p.toString().endsWith(".class") && !p.endsWith("module-info.class"))
                        .sorted().iterator();
                while (it.hasNext() && loaded < wanted) {
                    String rel = root.relativize(it.next()).toString();
                    String name = rel.substring(0, rel.length() - ".class".length()).replace('/', '.');
                    try {
                        Class.forName(name, false, loader);
                        loaded++;
                    } catch (ClassNotFoundException | LinkageError e) {
                        // Not exported to the class path's loader or a missing dependency: the next one will do.
                    }
                }
            } catch (UncheckedIOException e) {
                throw e.getCause();
            }
            if (loaded >= wanted) {
                break;
            }
        }
        return loaded;
    }
}
