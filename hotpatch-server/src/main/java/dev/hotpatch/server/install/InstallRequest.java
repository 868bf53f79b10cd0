package dev.hotpatch.server.install;

import java.util.List;

/**
 * "Install updates now" for one machine.
 *
 * @param classifications    which classifications to install (Critical, Security, Updates, Definition); empty with
 *                           no include list means all
 * @param includeKbs         KB ids installed whatever their classification
 * @param excludeKbs         KB ids never installed
 * @param reboot             {@code IfRequired} (default), {@code Never} (stage, leave the restart pending) or {@code Always}
 * @param maxDurationMinutes the window: what has not started by then is not attempted (default 120)
 */
public record InstallRequest(List<String> classifications, List<String> includeKbs, List<String> excludeKbs, String reboot,
                             Integer maxDurationMinutes) {
}
