package org.dirkms.it.schema;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;

/**
 * The Debian ldap-utils ({@code ldapadd}, {@code ldapmodify}, {@code ldapsearch}) bound with
 * simple authentication to one server, the way an administrator drives it. The password
 * travels in a private file ({@code -y}), never on a command line that {@code ps} shows.
 */
final class LdapCommandLine {

    private final Path ldapadd = ExternalTool.require("ldapadd", "ldap-utils");
    private final Path ldapmodify = ExternalTool.require("ldapmodify", "ldap-utils");
    private final Path ldapsearch = ExternalTool.require("ldapsearch", "ldap-utils");
    private final Path work;
    private final List<String> bind;

    LdapCommandLine(Path work, String url, String bindDn, String password) throws IOException {
        this.work = work;
        Path passwordFile = Files.createTempFile(work, "bind", ".pw",
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        Files.writeString(passwordFile, password, StandardCharsets.UTF_8);
        this.bind = List.of("-x", "-H", url, "-D", bindDn, "-y", passwordFile.toString());
    }

    /** {@code ldapadd -f file}. */
    ExternalTool.Result addFile(Path ldif) throws IOException, InterruptedException {
        return ExternalTool.run(work, null, command(ldapadd, "-f", ldif.toString()));
    }

    /** {@code ldapadd} reading {@code ldif} from standard input. */
    ExternalTool.Result add(String ldif) throws IOException, InterruptedException {
        return ExternalTool.run(work, ldif, command(ldapadd));
    }

    /** {@code ldapmodify -f file}. */
    ExternalTool.Result modifyFile(Path ldif) throws IOException, InterruptedException {
        return ExternalTool.run(work, null, command(ldapmodify, "-f", ldif.toString()));
    }

    /** {@code ldapsearch -LLL} without line wrapping; fails the test unless it succeeds. */
    String search(String base, String scope, String filter, String... attributes)
            throws IOException, InterruptedException {
        List<String> command = command(ldapsearch, "-LLL", "-o", "ldif-wrap=no", "-s", scope, "-b", base, filter);
        command.addAll(List.of(attributes));
        return ExternalTool.run(work, null, command).assertSuccess().stdout();
    }

    private List<String> command(Path tool, String... arguments) {
        List<String> command = new ArrayList<>();
        command.add(tool.toString());
        command.addAll(bind);
        command.addAll(List.of(arguments));
        return command;
    }
}
