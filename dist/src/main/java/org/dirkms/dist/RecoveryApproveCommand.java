package org.dirkms.dist;

import java.io.Console;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.Key;
import java.security.KeyStore;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.directory.api.ldap.model.exception.LdapException;
import org.apache.directory.ldap.client.api.LdapNetworkConnection;
import org.dirkms.agent.custody.RequestKey;
import org.dirkms.agent.custody.SealedContent;
import org.dirkms.agent.custody.ShareContent;
import org.dirkms.agent.directory.CustodyRecords.ApprovalTarget;
import org.dirkms.agent.directory.CustodyRecords.ShareEntry;
import org.dirkms.agent.directory.DirectoryAccessException;
import org.dirkms.agent.directory.LdapCustodyRecords;
import org.dirkms.agent.names.DistinguishedNames;
import org.dirkms.schema.PasswordFile;
import org.dirkms.schema.RecoveryState;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code dirkms recovery approve}: a recovery agent approves a recovery request, or a custody
 * session, bound as themselves (docs/custody.md). Under custody their share, sealed to their own
 * encryption certificate on {@code cn=<custody> <n>,cn=Key Recovery Agent,ou=KMS}, is opened on
 * their machine with their key package, checked against the digest the custody published, sealed
 * again to the request's one-use key and written with their approval in one modify; the key
 * package and the share never leave the process, and nothing is written when any step fails.
 * Without custody it writes the approval alone, as {@code ldif/samples/60-approve-recovery.ldif} does.
 */
@Command(name = "approve", description = {"Approve a key recovery request, or a custody session, as the recovery"
        + " agent you bind as; under custody, give your share of the recovery keys with it.", "",
        "Under custody your share is opened with your key package (the PKCS#12 of your encryption key) on this"
                + " machine, sealed again to the request's one-use key (kmsRequestKey) and written with your"
                + " approval in one modify. The KMS counts it once it checks against the share the custody gave"
                + " you."})
final class RecoveryApproveCommand extends Subcommand {
    @Parameters(index = "0", paramLabel = "REQUEST",
            description = "the request or custody session: its name (cn) under ou=Recovery Requests,ou=KMS, or its DN")
    String request;

    @Option(names = "--key-package", paramLabel = "F",
            description = "your key package (PKCS#12) holding the key of the encryption certificate your share is"
                    + " sealed to; needed under custody")
    Path keyPackage;

    @Option(names = "--key-package-password-file", paramLabel = "F",
            description = "its password, first line (without it, asked for on the terminal)")
    Path keyPackagePassword;

    @Mixin
    PersonConnectionOptions connection;

    @Override
    List<String> examples() {
        return List.of("dirkms recovery approve recover-jdoe --bind-dn uid=bob,ou=People,dc=example,dc=com"
                + " --key-package bob.p12", "bob approves, giving his share of the recovery keys (he is asked for his"
                + " password and the package's)");
    }

    @Override
    Map<ExitCode, String> exitCodes() {
        Map<ExitCode, String> codes = new LinkedHashMap<>();
        codes.put(ExitCode.OK, "approved (with your share, under custody)");
        codes.put(ExitCode.FAILED, "refused: not pending, approved already, no share of yours, a key package that does"
                + " not open it, or the directory refused; standard error says why; nothing was written");
        codes.put(ExitCode.USAGE, ExitCode.USAGE.meaning());
        return codes;
    }

    @Override
    int run() throws UsageException {
        if (connection.bindDn == null) {
            throw new UsageException("give --bind-dn: a recovery agent approves bound as themselves");
        }
        if (keyPackage != null && !Files.isReadable(keyPackage)) {
            throw new UsageException("cannot read --key-package " + keyPackage);
        }
        KmsContext kms = connection.context();
        String dn = RecoveryCommand.requestDn(kms.layout(), request);
        try (LdapNetworkConnection directory = PersonConnectionOptions.open(kms, KmsContext.OPERATION_TIMEOUT_MILLIS)) {
            return approve(kms, kms.custodyRecords(directory), dn, kms.connection().bindDn());
        } catch (NoSuchFileException e) {
            return failed("cannot read " + e.getFile() + ": give --password-file and --ca-cert, or --data DIR");
        } catch (IOException | LdapException | GeneralSecurityException | DirectoryAccessException e) {
            return failed("cannot approve " + dn + " at " + kms.connection().url(), e, kms.connection());
        }
    }

    private int approve(KmsContext kms, LdapCustodyRecords records, String dn, String me) throws IOException,
            UsageException {
        Optional<ApprovalTarget> found = records.readApprovalTarget(dn);
        if (found.isEmpty()) {
            return failed("there is no recovery request or custody session " + dn + " ('dirkms recovery list' shows"
                    + " the requests)");
        }
        ApprovalTarget target = found.get();
        if (target.state() != null && !target.state().equals(RecoveryState.PENDING.ldapValue())) {
            return failed(dn + " is " + target.state() + ": approvals are given only while it is pending; nothing was"
                    + " written");
        }
        for (String approval : target.approvals()) {
            if (DistinguishedNames.sameIfValid(approval, me)) {
                return failed("you have approved " + dn + " already: a recovery needs approvals by distinct agents, and"
                        + " your share counts once; nothing was written");
            }
        }
        if (target.requester() != null && DistinguishedNames.sameIfValid(target.requester(), me)) {
            return failed("you asked for " + dn + ": it must be approved by other recovery agents; nothing was written");
        }
        Optional<ShareEntry> share = records.shareOf(me);
        PrintWriter out = out();
        // What is approved, before anything is written: an agent gives a share only to what they expect
        // (SECURITY.md, "Threshold custody").
        out.println(describe(target));
        if (share.isEmpty()) {
            if (target.requestKey() != null || target.session()) {
                return failed("you hold no share of the current custody of the recovery keys, so your approval cannot"
                        + " count under custody; nothing was written");
            }
            records.approve(dn, me, null);
            out.println("approved " + dn + " as " + me + " (the recovery keys are not under custody: no share needed)");
            return OK;
        }
        if (target.requestKey() == null) {
            return failed(dn + " has no request key yet: the KMS publishes one (kmsRequestKey) within moments of the"
                    + " request; run this again shortly; nothing was written");
        }
        if (keyPackage == null) {
            throw new UsageException("the recovery keys are under custody: give --key-package, the PKCS#12 of the"
                    + " encryption key your share is sealed to");
        }
        X509Certificate requestKey;
        try {
            requestKey = RequestKey.parse(target.requestKey());
        } catch (IllegalArgumentException e) {
            return failed(dn + ": " + e.getMessage() + "; nothing was written");
        }
        byte[] content = openShare(share.get());
        if (content == null) {
            return FAILED;
        }
        try {
            ShareContent decoded;
            try {
                decoded = ShareContent.decode(content);
            } catch (IllegalArgumentException e) {
                return failed("your share at " + share.get().dn() + " is " + e.getMessage() + "; nothing was written");
            }
            decoded.clear();
            if (!MessageDigest.isEqual(share.get().digest(), ShareContent.sha256(content))
                    || !DistinguishedNames.sameIfValid(decoded.holder(), me)
                    || !decoded.custodyId().equals(share.get().custodyId())) {
                return failed("your share at " + share.get().dn() + " does not match the digest the custody published"
                        + " for it (it was changed): tell the KMS administrators; nothing was written");
            }
            byte[] sealed = RequestKey.sealTo(requestKey, content, kms.random());
            records.approve(dn, me, sealed);
            out.println("approved " + dn + " as " + me + ", with your share " + share.get().index() + " of custody "
                    + share.get().custodyId() + " sealed to its request key");
            out.println("  " + (target.approvals().size() + 1) + " approval(s) on it now; the KMS acts once enough"
                    + " good shares have arrived");
            return OK;
        } finally {
            Arrays.fill(content, (byte) 0);
        }
    }

    /** One line saying what {@code target} is: the user and requester of a recovery, or what a session is for. */
    static String describe(ApprovalTarget target) {
        if (target.session()) {
            return "custody session " + target.dn() + ": " + (target.description() == null ? "(no description)"
                    : target.description());
        }
        return "recovery request " + target.dn() + ": the keys of " + target.target() + ", asked for by "
                + (target.requester() == null ? "(no requester)" : target.requester())
                + (target.description() == null ? "" : " (" + target.description() + ")");
    }

    /** The share's content opened with a key of the key package, or null (the failure printed). */
    private byte[] openShare(ShareEntry share) throws IOException {
        char[] password = password();
        try {
            KeyStore store = KeyStore.getInstance("PKCS12");
            try (InputStream in = Files.newInputStream(keyPackage)) {
                store.load(in, password);
            } catch (IOException | GeneralSecurityException e) {
                failed("cannot open the key package " + keyPackage + " (wrong password, or not a PKCS#12); nothing was"
                        + " written");
                return null;
            }
            List<String> tried = new ArrayList<>();
            for (String alias : Collections.list(store.aliases())) {
                if (!store.isKeyEntry(alias)) {
                    continue;
                }
                Key key = store.getKey(alias, password);
                if (!(key instanceof PrivateKey privateKey)) {
                    continue;
                }
                if (store.getCertificate(alias) instanceof X509Certificate certificate) {
                    tried.add(certificate.getSubjectX500Principal().getName() + " serial "
                            + certificate.getSerialNumber().toString(16));
                }
                try {
                    return SealedContent.open(share.sealedShare(), privateKey);
                } catch (IllegalArgumentException e) {
                    // not the key the share is sealed to: the next one
                }
            }
            failed("no key in " + keyPackage + " opens your share at " + share.dn() + " (it holds the keys of " + tried
                    + "): give the key package of the encryption certificate the custody sealed your share to;"
                    + " nothing was written");
            return null;
        } catch (GeneralSecurityException e) {
            failed("cannot read the key package " + keyPackage + ": " + e.getClass().getSimpleName()
                    + "; nothing was written");
            return null;
        } finally {
            Arrays.fill(password, '\0');
        }
    }

    private char[] password() throws IOException {
        if (keyPackagePassword != null) {
            try {
                return PasswordFile.read(keyPackagePassword);
            } catch (org.dirkms.schema.EmptyPasswordFileException e) {
                throw new IOException(e.getMessage(), e);
            }
        }
        Console console = System.console();
        if (console == null) {
            throw new IOException("no terminal to ask for the password of " + keyPackage + ": give"
                    + " --key-package-password-file");
        }
        return console.readPassword("password of %s: ", keyPackage);
    }
}
