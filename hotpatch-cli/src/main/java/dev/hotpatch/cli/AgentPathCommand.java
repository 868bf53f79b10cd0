package dev.hotpatch.cli;

import dev.hotpatch.attach.AgentJar;
import java.nio.file.Path;
import picocli.CommandLine.Command;

/** {@code hotpatch agent-path}: where the agent jar is, for enrolling JVMs with {@code -javaagent}. */
@Command(name = "agent-path", description = {
        "Print the path of the agent jar, for -javaagent.",
        "The jar is extracted to a private folder of this user. Enrolling a JVM at start is the recommended mode:",
        "  java -javaagent:$(hotpatch agent-path)=name=shop,trust=/abs/keys -jar app.jar"})
final class AgentPathCommand extends HotpatchCommand {
    @Override
    public Integer call() {
        Path jar = AgentJar.path();
        if (json()) {
            printJson(Json.status("ok").put("path", jar.toString()));
        } else {
            out().println(jar);
            out().flush();
        }
        return ExitPolicy.OK;
    }
}
