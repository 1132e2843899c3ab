using System.Security.Cryptography;
using System.Text;
using Engine.Exchange.Signing;
using Org.BouncyCastle.Crypto.Parameters;
using BouncyEd25519 = Org.BouncyCastle.Crypto.Signers.Ed25519Signer;

namespace Tests.Exchange.Signing;

/// <summary>The engine's signer (libsodium) against BouncyCastle's independent Ed25519, the library the simulator verifies with.</summary>
public sealed class Ed25519CrossLibraryTests
{
    [Fact]
    public void Random_keys_and_payloads_sign_identically_in_both_libraries_and_verify_in_BouncyCastle()
    {
        var random = new Random(20261207);
        var json = new byte[Ed25519Signer.SignatureLength];
        for (var k = 0; k < 20; k++)
        {
            var seed = RandomNumberGenerator.GetBytes(32);
            using var signer = Ed25519Signer.FromPem(Ed25519TestKeys.PemFromSeed(seed));
            var bouncyPrivate = new Ed25519PrivateKeyParameters(seed);
            Assert.Equal(bouncyPrivate.GeneratePublicKey().GetEncoded(), Convert.FromBase64String(PemBody(signer.PublicKeyPem))[12..]);

            for (var m = 0; m < 25; m++)
            {
                var payload = new byte[random.Next(0, 700)];
                random.NextBytes(payload);

                signer.SignForJson(payload, json);
                var ours = Convert.FromBase64String(Encoding.ASCII.GetString(json));

                // Ed25519 is deterministic: a correct implementation gives the very same 64 bytes for the same key and message.
                var bouncy = new BouncyEd25519();
                bouncy.Init(forSigning: true, bouncyPrivate);
                bouncy.BlockUpdate(payload, 0, payload.Length);
                Assert.Equal(bouncy.GenerateSignature(), ours);

                var verifier = new BouncyEd25519();
                verifier.Init(forSigning: false, bouncyPrivate.GeneratePublicKey());
                verifier.BlockUpdate(payload, 0, payload.Length);
                Assert.True(verifier.VerifySignature(ours));
            }
        }
    }

    private static string PemBody(string pem) => string.Concat(pem.Split('\n').Select(l => l.Trim()).Where(l => !l.StartsWith("-----", StringComparison.Ordinal)));
}
