package org.dirkms.dist;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;

import org.dirkms.ds.openldap.OpenLdapConfiguration;
import org.dirkms.ds.openldap.OpenLdapSettings;
import org.dirkms.schema.EmptyPasswordFileException;
import org.dirkms.schema.PasswordFile;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code dirkms openldap}: running the KMS on OpenLDAP. {@code config} writes the slapd
 * configuration of a KMS directory ({@link OpenLdapConfiguration}): the schema, the database with
 * syncprov, indexes, limits and the access rules of docs/security.md, multi-provider replication,
 * and the bootstrap tree, as LDIF files with a README.txt saying in which order to load them. It
 * needs neither slapd nor a directory: it only writes files.
 */
@Command(name = "openldap", description = {"Run the KMS on OpenLDAP (slapd 2.5): config writes the slapd"
        + " configuration of a KMS directory."}, subcommands = {OpenLdapCommand.Config.class})
final class OpenLdapCommand extends Subcommand {

    /** Without an action: a usage error naming it. */
    @Override
    int run() throws UsageException {
        throw new UsageException("the action is missing; " + DirkmsCommand.actionList(spec.commandLine()));
    }

    @Override
    List<String> examples() {
        return List.of("dirkms openldap config --suffix dc=example,dc=com --agent-dn"
                + " uid=kms-agent,ou=KMS,dc=example,dc=com --out slapd-kms", "the LDIF files to load into slapd");
    }

    /** {@code dirkms openldap config}. */
    @Command(name = "config", description = {"Write the slapd configuration of a KMS directory into a new folder,"
            + " as LDIF for 'ldapadd -Y EXTERNAL -H ldapi:///' (or 'slapadd -n0' before the first start):"
            + " 01-schema.ldif (the KMS schema), 02-modules.ldif (syncprov), 03-server-id.ldif (replicated"
            + " servers), 10-database.ldif (an mdb database with syncprov, the agents' indexes, limits and the"
            + " access rules of docs/security.md), 20-bootstrap.ldif (the tree, the role groups, the KMS agent,"
            + " the directory administrator and the replicator), and README.txt saying in which order to load"
            + " them. The files are mode 0600. Nothing is read from or written to a directory.", "",
            "The access rules are made from the same policy as the embedded server's guard; what slapd cannot"
                    + " enforce is listed in SECURITY.md, \"On OpenLDAP\"."})
    static final class Config extends Subcommand {

        @Option(names = "--suffix", paramLabel = "DN", required = true, description = "the suffix of the KMS directory,"
                + " e.g. dc=example,dc=com")
        String suffix;

        @Option(names = "--agent-dn", paramLabel = "DN", required = true, description = "the KMS agent's identity below"
                + " the suffix, named by uid= or cn=, e.g. uid=kms-agent,ou=KMS,dc=example,dc=com")
        String agentDn;

        @Option(names = "--out", paramLabel = "DIR", required = true, description = "a new or empty folder for the"
                + " files (made mode 0700)")
        Path out;

        @Option(names = "--directory-admin-dn", paramLabel = "DN", description = "who manages people, names,"
                + " addresses and passwords, with no KMS role (default cn=directory-admin,<suffix>)")
        String directoryAdministratorDn;

        @Option(names = "--database-number", paramLabel = "N", defaultValue = "" + OpenLdapSettings.DEFAULT_DATABASE_NUMBER,
                description = "the {N} of olcDatabase={N}mdb: the next free one of the server (default ${DEFAULT-VALUE})")
        int databaseNumber;

        @Option(names = "--database-directory", paramLabel = "DIR", defaultValue = OpenLdapSettings.DEFAULT_DATABASE_DIRECTORY,
                description = "the mdb folder on the slapd host (default ${DEFAULT-VALUE})")
        String databaseDirectory;

        @Option(names = "--agent-password-file", paramLabel = "FILE", description = "the KMS agent's password (first"
                + " line), put into the bootstrap as a salted hash; without it, set it with ldappasswd")
        Path agentPasswordFile;

        @Option(names = "--directory-admin-password-file", paramLabel = "FILE", description = "the directory"
                + " administrator's password (first line), likewise")
        Path directoryAdministratorPasswordFile;

        @Option(names = "--replicator-password-file", paramLabel = "FILE", description = "the password the providers"
                + " replicate with, as cn=replicator,ou=KMS,<suffix> (first line; needed with --peer, the same on"
                + " every provider)")
        Path replicatorPasswordFile;

        @Option(names = "--server-id", paramLabel = "N", description = "this provider's olcServerID (1 to 4095), for"
                + " multi-provider replication with --peer")
        Integer serverId;

        @Option(names = "--peer", paramLabel = "URL", description = "another provider, ldap://HOST:PORT (StartTLS);"
                + " repeat for each")
        List<String> peers = new ArrayList<>();

        @Option(names = "--peer-ca-cert", paramLabel = "FILE", description = "the CA certificate file on the slapd host"
                + " that verifies the peers' TLS certificates (needed with --peer)")
        String peerCaCertificate;

        @Override
        List<String> examples() {
            return List.of("dirkms openldap config --suffix dc=example,dc=com --agent-dn"
                    + " uid=kms-agent,ou=KMS,dc=example,dc=com --agent-password-file kms-agent.password --out slapd-kms",
                    "one provider; then follow slapd-kms/README.txt",
                    "dirkms openldap config --suffix dc=example,dc=com --agent-dn uid=kms-agent,ou=KMS,dc=example,dc=com"
                            + " --server-id 1 --peer ldap://ldap2.example.com --peer-ca-cert /etc/ldap/ca.pem"
                            + " --replicator-password-file replicator.password --out slapd-kms-1",
                    "the first of two providers replicating each other (the second: --server-id 2 --peer"
                            + " ldap://ldap1.example.com)");
        }

        @Override
        Map<ExitCode, String> exitCodes() {
            Map<ExitCode, String> codes = super.exitCodes();
            codes.put(ExitCode.OK, "the files are written; README.txt in the folder says how to load them");
            codes.put(ExitCode.FAILED, "a file could not be written (standard error says which); the folder may hold"
                    + " the files written before it");
            return codes;
        }

        @Override
        int run() throws UsageException {
            if ((serverId == null) != peers.isEmpty()) {
                throw new UsageException(serverId == null ? "--peer needs --server-id N (this provider's id)"
                        : "--server-id needs at least one --peer URL (another provider)");
            }
            if (serverId != null && (peerCaCertificate == null || replicatorPasswordFile == null)) {
                throw new UsageException("replication needs --peer-ca-cert FILE and --replicator-password-file FILE");
            }
            OpenLdapSettings settings;
            OpenLdapConfiguration configuration;
            try {
                settings = new OpenLdapSettings(suffix, agentDn, directoryAdministratorDn != null
                        ? directoryAdministratorDn : OpenLdapSettings.defaultDirectoryAdministrator(suffix),
                        OpenLdapSettings.LDAPI_ROOT, databaseNumber, databaseDirectory,
                        serverId == null ? OptionalInt.empty() : OptionalInt.of(serverId), peers,
                        Optional.ofNullable(peerCaCertificate));
                configuration = new OpenLdapConfiguration(settings, new OpenLdapConfiguration.IdentityPasswords(
                        password(agentPasswordFile, "--agent-password-file"),
                        password(directoryAdministratorPasswordFile, "--directory-admin-password-file"),
                        password(replicatorPasswordFile, "--replicator-password-file")), new SecureRandom());
            } catch (IllegalArgumentException e) {
                throw new UsageException(e.getMessage());
            }
            if (Files.exists(out) && !Files.isDirectory(out)) {
                throw new UsageException("--out " + out + " is a file; give a new or empty folder");
            }
            List<Path> written;
            try {
                written = configuration.write(out);
            } catch (IllegalArgumentException e) {
                throw new UsageException("--out " + e.getMessage());
            } catch (IOException e) {
                return failed("cannot write the configuration into " + out, e, null);
            }
            for (Path file : written) {
                out().println("wrote " + file);
            }
            out().println("the configuration of " + settings.suffix() + " (" + configuration.databaseDn()
                    + (settings.replicated() ? ", provider " + settings.serverId().getAsInt() + " of "
                            + (settings.peers().size() + 1) : "") + "); load it as " + out.resolve(
                                    OpenLdapConfiguration.README_FILE) + " says");
            return OK;
        }

        private static Optional<String> password(Path file, String flag) throws UsageException {
            if (file == null) {
                return Optional.empty();
            }
            try {
                return Optional.of(PasswordFile.readString(file));
            } catch (NoSuchFileException e) {
                throw new UsageException(flag + " " + file + " does not exist");
            } catch (EmptyPasswordFileException e) {
                throw new UsageException(flag + " " + file + ": " + e.getMessage());
            } catch (IOException e) {
                throw new UsageException(flag + " " + file + " cannot be read: " + e.getMessage());
            }
        }
    }
}
