package org.dirkms.it.fuzz;

import static org.dirkms.it.fuzz.FuzzFixture.lc;
import static org.dirkms.schema.AttributeNames.*;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.SplittableRandom;

import org.dirkms.agent.fuzz.DerMutator;
import org.dirkms.agent.fuzz.DerSeeds;
import org.dirkms.agent.fuzz.Mutation;
import org.dirkms.ds.guard.AccessPolicy;
import org.dirkms.schema.KmsSchema;

/**
 * Cases of the DER-valued attributes: certificates ({@code userCertificate}, {@code cACertificate},
 * {@code kmsTransportCertificate}, {@code kmsRequestKey}), a custody share given back
 * ({@code kmsRecoveryShare}, CMS EnvelopedData), CRLs (certificate, authority and delta revocation lists),
 * PKCS#10 ({@code kmsSigningRequest}, {@code kmsPkcs10Request}, {@code kmsDeliveryKey}), CMS
 * ({@code userSMIMECertificate}, and the agent's own {@code kmsSignedTrustList} and archived
 * {@code kmsWrappedKey}, which the server keeps as opaque octets), and RFC 4523's
 * {@code crossCertificatePair}. Each value is a seed mutated by the {@link DerMutator} (one in
 * twenty is sent unchanged), sent under a spelling of the attribute (name, any case, OID,
 * {@code ;binary}) as a replace, an add of a value, or the attribute of a new entry.
 *
 * <p>Expected: a value the {@link DerOracle} calls valid is stored (0) or refused by the access
 * rules; an invalid one is invalidAttributeSyntax (21), never stored.
 */
final class DerValueCases implements ServerFuzzRunner.CaseFactory {

    private record Attribute(String name, String oid, DerOracle.Kind kind, List<byte[]> seeds, boolean single) {
    }

    private final FuzzFixture fixture;
    private final List<Attribute> attributes;
    private final DerMutator mutator;

    DerValueCases(FuzzFixture fixture) {
        this.fixture = fixture;
        DerSeeds seeds = DerSeeds.get();
        mutator = new DerMutator(seeds.all());
        List<byte[]> certificates = List.of(seeds.userCertificate, seeds.rsaCertificate, seeds.v1Certificate,
                seeds.caCertificate);
        List<byte[]> crls = List.of(seeds.crl, seeds.emptyCrl);
        List<byte[]> requests = List.of(seeds.pkcs10, seeds.pkcs10Rsa, seeds.pkcs10NoSubject);
        attributes = List.of(
                new Attribute(USER_CERTIFICATE, "2.5.4.36", DerOracle.Kind.CERTIFICATE, certificates, false),
                new Attribute(CA_CERTIFICATE, "2.5.4.37", DerOracle.Kind.CERTIFICATE, certificates, false),
                new Attribute(TRANSPORT_CERTIFICATE, oid(TRANSPORT_CERTIFICATE), DerOracle.Kind.CERTIFICATE, certificates,
                        true),
                new Attribute(SUPERSEDED_CERTIFICATE, oid(SUPERSEDED_CERTIFICATE), DerOracle.Kind.CERTIFICATE,
                        certificates, false),
                new Attribute(RECOVERY_CERTIFICATE, oid(RECOVERY_CERTIFICATE), DerOracle.Kind.CERTIFICATE, certificates,
                        true),
                new Attribute(REQUEST_KEY, oid(REQUEST_KEY), DerOracle.Kind.CERTIFICATE, certificates, true),
                new Attribute(CERTIFICATE_REVOCATION_LIST, "2.5.4.39", DerOracle.Kind.CRL, crls, false),
                new Attribute(AUTHORITY_REVOCATION_LIST, "2.5.4.38", DerOracle.Kind.CRL, crls, false),
                new Attribute(DELTA_REVOCATION_LIST, "2.5.4.53", DerOracle.Kind.CRL, crls, false),
                new Attribute(CROSS_CERTIFICATE_PAIR, "2.5.4.40", DerOracle.Kind.CERTIFICATE_PAIR,
                        List.of(seeds.certificatePair), false),
                new Attribute(USER_SMIME_CERTIFICATE, "2.16.840.1.113730.3.1.40", DerOracle.Kind.CONTENT_INFO,
                        List.of(seeds.smimeBundle, seeds.certsOnlyBundle), false),
                new Attribute(SIGNING_REQUEST, oid(SIGNING_REQUEST), DerOracle.Kind.PKCS10, requests, true),
                new Attribute(PKCS10_REQUEST, oid(PKCS10_REQUEST), DerOracle.Kind.PKCS10, requests, true),
                new Attribute(DELIVERY_KEY, oid(DELIVERY_KEY), DerOracle.Kind.PKCS10, requests, true),
                new Attribute(SIGNED_TRUST_LIST, oid(SIGNED_TRUST_LIST), DerOracle.Kind.OPAQUE,
                        List.of(seeds.smimeBundle), true),
                new Attribute(WRAPPED_KEY, oid(WRAPPED_KEY), DerOracle.Kind.OPAQUE,
                        List.of(seeds.envelopedToRsa, seeds.envelopedToEc), true),
                new Attribute(RECOVERY_SHARE, oid(RECOVERY_SHARE), DerOracle.Kind.ENVELOPED_DATA,
                        List.of(seeds.envelopedToRsa, seeds.envelopedToEc), false));
    }

    private static String oid(String name) {
        return KmsSchema.attributeType(name).orElseThrow().oid();
    }

    @Override
    public ServerCase make(int index, SplittableRandom random) {
        Attribute attribute = attributes.get(random.nextInt(attributes.size()));
        Who who = Draw.identity(random);
        byte[] seed = attribute.seeds().get(random.nextInt(attribute.seeds().size()));
        Mutation mutation = random.nextInt(20) == 0 ? new Mutation(seed.clone(), "unchanged seed")
                : mutator.mutate(seed, random);
        byte[] value = mutation.bytes();
        Validity validity = DerOracle.judge(attribute.kind(), value);
        String description = spelling(attribute, random);
        String lower = lc(attribute.name());
        boolean secret = AccessPolicy.isSecret(lower);
        List<byte[]> secrets = secret ? List.of(value) : List.of();
        String what = description + " " + validity.name().toLowerCase() + " [" + mutation.description() + "]";

        int shape = random.nextInt(20);
        if (shape == 0) {
            return newEntry(index, who, attribute, description, value, validity, what, secrets);
        }
        String entry = who == Who.USER && onUser(lower) ? fixture.fuzzer : fixture.scratchFor(lower);
        boolean add = !attribute.single() && shape < 7 || shape == 7;
        byte[] operation = LdapRequests.modify(utf8(entry), List.of(new LdapRequests.Change(
                add ? LdapRequests.ADD : LdapRequests.REPLACE, utf8(description), List.of(value))));
        // A CRL replaces one of the same issuer only with a higher CRL number (RFC 5280 section
        // 5.2.3): a valid CRL may still be refused (19).
        var allowed = new java.util.HashSet<>(Policy.write(validity, Policy.mayWrite(who, fixture, entry, lower,
                add ? LdapRequests.ADD : LdapRequests.REPLACE, 1), add, attribute.kind() == DerOracle.Kind.CRL, false,
                false));
        if (Policy.tooLarge(who, lower, List.of(value))) {
            allowed.add(19);
        }
        return ServerCase.of(who, (add ? "add " : "replace ") + what + " on " + entry, operation,
                java.util.Set.copyOf(allowed))
                .withSecrets(secrets);
    }

    /** An add of a new entry that holds the value: a published certificate, a queued request, a partner. */
    private ServerCase newEntry(int index, Who who, Attribute attribute, String description, byte[] value,
            Validity validity, String what, List<byte[]> secrets) {
        String lower = lc(attribute.name());
        String dn;
        List<LdapRequests.Attribute> entry;
        String cn = "fz-der-" + index;
        if (lower.equals(lc(PKCS10_REQUEST))) {
            dn = "cn=" + cn + "," + fixture.layout.requests();
            entry = List.of(LdapRequests.Attribute.of("objectClass", "top", "kmsCertificateRequest"),
                    LdapRequests.Attribute.of("cn", cn), LdapRequests.Attribute.of("kmsRequestState", "pending"));
        } else if (lower.equals(lc(CROSS_CERTIFICATE_PAIR)) || lower.equals(lc(CA_CERTIFICATE))) {
            dn = "cn=" + cn + "," + fixture.layout.trust();
            entry = List.of(LdapRequests.Attribute.of("objectClass", "top", "kmsTrustedPartner"),
                    LdapRequests.Attribute.of("cn", cn));
        } else {
            dn = "cn=" + cn + "," + fixture.sandbox;
            entry = List.of(LdapRequests.Attribute.of("objectClass", "top", "kmsPublishedCertificate"),
                    LdapRequests.Attribute.of("cn", cn));
        }
        List<LdapRequests.Attribute> attributes = new java.util.ArrayList<>(entry);
        attributes.add(new LdapRequests.Attribute(utf8(description), List.of(value)));
        List<String> objectClasses = new java.util.ArrayList<>();
        for (byte[] objectClass : entry.get(0).values()) {
            objectClasses.add(new String(objectClass, StandardCharsets.UTF_8));
        }
        List<String> names = new java.util.ArrayList<>();
        for (LdapRequests.Attribute held : entry) {
            names.add(lc(new String(held.type(), StandardCharsets.UTF_8)));
        }
        names.add(lower);
        boolean accepted = Policy.mayAdd(who, fixture, dn, objectClasses, names);
        var allowed = new java.util.HashSet<>(Policy.write(validity, accepted, false));
        allowed.add(65); // e.g. a CRL in a published-certificate entry
        if (Policy.tooLarge(who, lower, List.of(value))) {
            allowed.add(19);
        }
        return ServerCase.of(who, "add entry " + dn + " with " + what, LdapRequests.add(utf8(dn), attributes),
                java.util.Set.copyOf(allowed)).withSecrets(secrets);
    }

    private static boolean onUser(String lower) {
        return lower.equals(lc(USER_CERTIFICATE)) || lower.equals(lc(USER_SMIME_CERTIFICATE))
                || lower.equals(lc(SIGNING_REQUEST)) || lower.equals(lc(DELIVERY_KEY));
    }

    private static String spelling(Attribute attribute, SplittableRandom random) {
        String name = switch (random.nextInt(6)) {
            case 0 -> attribute.name().toLowerCase();
            case 1 -> attribute.name().toUpperCase();
            case 2 -> attribute.oid();
            default -> attribute.name();
        };
        return random.nextInt(3) == 0 ? name + ";binary" : name;
    }

    private static byte[] utf8(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }
}
