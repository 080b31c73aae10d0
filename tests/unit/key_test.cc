// SPDX-License-Identifier: MIT
// Keys: X25519 against RFC 7748 and against OpenSSL, the base64 and hex codecs against OpenSSL's
// encoder and every class of malformed input, key generation and the zero test. OpenSSL is only
// the tests' oracle: wgkit derives public keys with libsodium.
#include "wgkit/key.h"

#include <catch2/catch.hpp>

#include <openssl/evp.h>
#include <openssl/rand.h>

#include <algorithm>
#include <memory>
#include <new>
#include <string>

using wgkit::Key;

namespace {

Key key_from_hex(std::string_view hex)
{
    std::optional<Key> key = Key::from_hex(hex);
    REQUIRE(key);
    return *key;
}

std::string hex_of(const Key& key)
{
    return std::string(key.hex().view());
}

Key random_bytes_key()
{
    Key key;
    REQUIRE(RAND_bytes(key.data(), Key::size) == 1);
    return key;
}

/// X25519(k, u) for an arbitrary u-coordinate, straight from OpenSSL: an implementation
/// independent of libsodium, which wgkit uses for the base point only (Key::public_key). The
/// RFC 7748 vectors below check this oracle first.
Key x25519(const Key& scalar, const Key& u)
{
    struct PkeyFree {
        void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
    };
    struct CtxFree {
        void operator()(EVP_PKEY_CTX* p) const { EVP_PKEY_CTX_free(p); }
    };
    std::unique_ptr<EVP_PKEY, PkeyFree> priv(
        EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, nullptr, scalar.data(), Key::size));
    std::unique_ptr<EVP_PKEY, PkeyFree> peer(
        EVP_PKEY_new_raw_public_key(EVP_PKEY_X25519, nullptr, u.data(), Key::size));
    REQUIRE(priv);
    REQUIRE(peer);
    std::unique_ptr<EVP_PKEY_CTX, CtxFree> ctx(EVP_PKEY_CTX_new(priv.get(), nullptr));
    REQUIRE(ctx);
    REQUIRE(EVP_PKEY_derive_init(ctx.get()) == 1);
    REQUIRE(EVP_PKEY_derive_set_peer(ctx.get(), peer.get()) == 1);
    Key out;
    std::size_t len = Key::size;
    REQUIRE(EVP_PKEY_derive(ctx.get(), out.data(), &len) == 1);
    REQUIRE(len == Key::size);
    return out;
}

/// Standard base64 by OpenSSL's encoder, an implementation independent of ours.
std::string openssl_base64(const Key& key)
{
    unsigned char out[64];
    const int n = EVP_EncodeBlock(out, key.data(), Key::size);
    return std::string(reinterpret_cast<char*>(out), static_cast<std::size_t>(n));
}

const std::string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

} // namespace

TEST_CASE("RFC 7748 section 5.2: X25519 single-iteration vectors")
{
    CHECK(hex_of(x25519(key_from_hex("a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449ac4"),
                        key_from_hex("e6db6867583030db3594c1a424b15f7c726624ec26b3353b10a903a6d0ab1c4c")))
          == "c3da55379de9c6908e94ea4df28d084f32eccf03491c71f754b4075577a28552");
    CHECK(hex_of(x25519(key_from_hex("4b66e9d4d1b4673c5ad22691957d6af5c11b6421e0ea01d42ca4169e7918ba0d"),
                        key_from_hex("e5210f12786811d3f4b7959d0538ae2c31dbe7106fc03c3efc4cd549c715a493")))
          == "95cbde9476e8907d7aade45cb4b873f88b595a68799fa152e6f8f7647aac7957");
}

TEST_CASE("RFC 7748 section 5.2: iterated X25519, 1 and 1000 rounds")
{
    Key k = key_from_hex("0900000000000000000000000000000000000000000000000000000000000000");
    Key u = k;
    for (int round = 1; round <= 1000; ++round) {
        Key next = x25519(k, u);
        u = k;
        k = next;
        if (round == 1)
            CHECK(hex_of(k) == "422c8e7a6227d7bca1350b3e2bb7279f7897b87bb6854b783c60e80311ae3079");
    }
    CHECK(hex_of(k) == "684cf59ba83309552800ef566f2f4d3c1c3887c49360e3875f2eb94d99532c51");
}

TEST_CASE("RFC 7748 section 6.1: Diffie-Hellman public keys through Key::public_key")
{
    const Key alice = key_from_hex("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a");
    const Key bob = key_from_hex("5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb");
    const Key alice_pub = alice.public_key();
    const Key bob_pub = bob.public_key();
    CHECK(hex_of(alice_pub) == "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a");
    CHECK(hex_of(bob_pub) == "de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f");
    const std::string shared = "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742";
    CHECK(hex_of(x25519(alice, bob_pub)) == shared);
    CHECK(hex_of(x25519(bob, alice_pub)) == shared);
}

TEST_CASE("public_key agrees with OpenSSL's X25519 of the base point over random keys")
{
    const Key base = key_from_hex("0900000000000000000000000000000000000000000000000000000000000000");
    for (int i = 0; i < 2000; ++i) {
        const Key key = random_bytes_key(); // unclamped too: both must clamp
        REQUIRE(hex_of(key.public_key()) == hex_of(x25519(key, base)));
    }
}

TEST_CASE("public_key clamps: keys differing only in clamped bits share a public key")
{
    Key key = random_bytes_key();
    Key clamped = key;
    clamped.data()[0] &= 248;
    clamped.data()[31] = (clamped.data()[31] & 127) | 64;
    CHECK(key.public_key() == clamped.public_key());
}

TEST_CASE("base64 round trip over random keys matches OpenSSL's encoder")
{
    for (int i = 0; i < 5000; ++i) {
        const Key key = random_bytes_key();
        const wgkit::KeyText text = key.base64();
        REQUIRE(text.view().size() == 44);
        REQUIRE(std::string(text.view()) == openssl_base64(key));
        const std::optional<Key> back = Key::from_base64(text.view());
        REQUIRE(back);
        REQUIRE(*back == key);
    }
}

TEST_CASE("base64 of fixed keys")
{
    CHECK(Key().base64().view() == "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=");
    Key ones;
    for (std::size_t i = 0; i < Key::size; ++i)
        ones.data()[i] = 0xff;
    CHECK(ones.base64().view() == "//////////////////////////////////////////8=");
    // Every character of the alphabet appears at every position class in the sweep below.
    for (std::size_t v = 0; v < 64; ++v) {
        std::string text(43, alphabet[v]);
        text[42] = 'A';
        text += '=';
        const std::optional<Key> key = Key::from_base64(text);
        REQUIRE(key);
        CHECK(key->base64().view() == text);
    }
}

TEST_CASE("public_base64 writes what base64 writes")
{
    // The table encoder for public keys against OpenSSL's, on random keys and on every byte
    // value at every position.
    auto check = [](const Key& key) {
        char text[44];
        key.public_base64(text);
        REQUIRE(std::string(text, sizeof(text)) == openssl_base64(key));
    };
    for (int i = 0; i < 5000; ++i)
        check(random_bytes_key());
    for (std::size_t at = 0; at < Key::size; ++at) {
        for (unsigned byte = 0; byte < 256; ++byte) {
            Key key;
            key.data()[at] = static_cast<std::uint8_t>(byte);
            check(key);
        }
    }
}

TEST_CASE("from_public_base64 accepts exactly what from_base64 accepts, with its bytes")
{
    // The table decoder for public keys against the constant-time one: on random keys, and on
    // every byte value at every position of valid texts (which covers each rejection: bytes
    // outside the alphabet, a last character with its padding bits set, a missing '='), and
    // on lengths around 44.
    auto check = [](const std::string& text) {
        INFO("text `" << text << "'");
        std::optional<Key> want = Key::from_base64(text);
        std::optional<Key> got = Key::from_public_base64(text);
        REQUIRE(got.has_value() == want.has_value());
        if (want)
            REQUIRE(*got == *want);
    };
    for (int i = 0; i < 200; ++i) {
        const std::string good = random_bytes_key().base64().view().data();
        check(good);
        for (std::size_t at = 0; at < good.size(); ++at) {
            for (unsigned byte = 0; byte < 256; ++byte) {
                std::string text = good;
                text[at] = static_cast<char>(byte);
                check(text);
            }
        }
        check(good.substr(0, 43));
        check(good + "=");
        check(good.substr(1));
    }
    check("");
}

TEST_CASE("base64 rejections")
{
    const std::string good = random_bytes_key().base64().view().data();
    REQUIRE(good.size() == 44);
    REQUIRE(Key::from_base64(good));

    SECTION("length 43 and 45, and empty")
    {
        CHECK_FALSE(Key::from_base64(good.substr(0, 43)));
        CHECK_FALSE(Key::from_base64(good + "="));
        CHECK_FALSE(Key::from_base64(good + "A"));
        CHECK_FALSE(Key::from_base64(""));
    }
    SECTION("missing '=' at the end")
    {
        std::string text = good;
        text[43] = 'A';
        CHECK_FALSE(Key::from_base64(text));
        text[43] = '\0';
        CHECK_FALSE(Key::from_base64(text));
    }
    SECTION("'=' too early")
    {
        std::string text = good;
        text[42] = '=';
        CHECK_FALSE(Key::from_base64(text));
        text = good;
        text[0] = '=';
        CHECK_FALSE(Key::from_base64(text));
    }
    SECTION("every byte outside the alphabet, at every position")
    {
        for (int c = 0; c < 256; ++c) {
            if (alphabet.find(static_cast<char>(c)) != std::string::npos)
                continue;
            for (std::size_t pos = 0; pos < 43; ++pos) {
                std::string text = good;
                text[pos] = static_cast<char>(c);
                REQUIRE_FALSE(Key::from_base64(text));
            }
        }
    }
    SECTION("URL-safe alphabet is not accepted")
    {
        std::string text = good;
        text[5] = '-';
        CHECK_FALSE(Key::from_base64(text));
        text[5] = '_';
        CHECK_FALSE(Key::from_base64(text));
    }
    SECTION("non-canonical last character: the two padding bits must be zero")
    {
        for (std::size_t v = 0; v < 64; ++v) {
            std::string text = good;
            text[42] = alphabet[v];
            CHECK(Key::from_base64(text).has_value() == ((v & 3) == 0));
        }
    }
    SECTION("embedded NUL")
    {
        std::string text = good;
        text[20] = '\0';
        CHECK_FALSE(Key::from_base64(text));
        text = good;
        text[42] = '\0';
        CHECK_FALSE(Key::from_base64(text));
    }
    SECTION("whitespace is not skipped")
    {
        CHECK_FALSE(Key::from_base64(std::string(" ").append(good, 0, 43)));
        CHECK_FALSE(Key::from_base64(good.substr(0, 43) + "\n"));
    }
}

TEST_CASE("hex round trip, either case in, lowercase out")
{
    for (int i = 0; i < 1000; ++i) {
        const Key key = random_bytes_key();
        const wgkit::KeyText text = key.hex();
        const std::string hex(text.view());
        REQUIRE(hex.size() == 64);
        REQUIRE(hex.find_first_not_of("0123456789abcdef") == std::string::npos);
        REQUIRE(Key::from_hex(hex) == key);
        std::string upper = hex;
        for (char& c : upper)
            c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
        REQUIRE(Key::from_hex(upper) == key);
    }
    CHECK(hex_of(key_from_hex("0123456789ABCDEFabcdef0000000000000000000000000000000000000000ff"))
          == "0123456789abcdefabcdef0000000000000000000000000000000000000000ff");
}

TEST_CASE("hex rejections")
{
    const std::string good(random_bytes_key().hex().view());
    CHECK_FALSE(Key::from_hex(good.substr(0, 63)));
    CHECK_FALSE(Key::from_hex(good + "0"));
    CHECK_FALSE(Key::from_hex(good.substr(0, 62)));
    CHECK_FALSE(Key::from_hex(""));
    const std::string digits = "0123456789abcdefABCDEF";
    for (int c = 0; c < 256; ++c) {
        if (digits.find(static_cast<char>(c)) != std::string::npos)
            continue;
        for (std::size_t pos : {std::size_t(0), std::size_t(1), std::size_t(31), std::size_t(63)}) {
            std::string text = good;
            text[pos] = static_cast<char>(c);
            REQUIRE_FALSE(Key::from_hex(text));
        }
    }
}

TEST_CASE("generate_private is clamped, random and valid")
{
    Key previous;
    for (int i = 0; i < 200; ++i) {
        const Key key = Key::generate_private();
        CHECK((key.data()[0] & 7) == 0);
        CHECK((key.data()[31] & 128) == 0);
        CHECK((key.data()[31] & 64) == 64);
        CHECK(key != previous);
        CHECK_FALSE(key.public_key().is_zero());
        previous = key;
    }
}

TEST_CASE("generate_preshared is not clamped")
{
    // Unclamped random bytes hit a set low bit in byte 0 or a clear bit 6 in byte 31 with
    // probability 1 - 2^-4 each time; 100 draws all looking clamped would be 2^-400.
    bool seen_unclamped = false;
    Key previous;
    for (int i = 0; i < 100; ++i) {
        const Key key = Key::generate_preshared();
        if ((key.data()[0] & 7) != 0 || (key.data()[31] & 0xc0) != 0x40)
            seen_unclamped = true;
        CHECK(key != previous);
        previous = key;
    }
    CHECK(seen_unclamped);
}

TEST_CASE("is_zero")
{
    CHECK(Key().is_zero());
    CHECK(Key::from_base64("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=")->is_zero());
    for (std::size_t i = 0; i < Key::size; ++i) {
        for (int bit = 0; bit < 8; ++bit) {
            Key key;
            key.data()[i] = static_cast<std::uint8_t>(1u << bit);
            REQUIRE_FALSE(key.is_zero());
        }
    }
}

TEST_CASE("constructors copy exactly 32 bytes")
{
    std::uint8_t raw[Key::size + 1];
    for (std::size_t i = 0; i < sizeof raw; ++i)
        raw[i] = static_cast<std::uint8_t>(i + 1);
    const Key from_pointer(raw);
    std::uint8_t array[Key::size];
    std::copy(raw, raw + Key::size, array);
    const Key from_array(array);
    CHECK(from_pointer == from_array);
    CHECK(hex_of(from_pointer) == "0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20");
}

TEST_CASE("KeyText copies keep their text")
{
    const Key key = random_bytes_key();
    const wgkit::KeyText text = key.base64();
    wgkit::KeyText copy(text);
    CHECK(copy.view() == text.view());
    wgkit::KeyText assigned;
    assigned = key.hex();
    CHECK(assigned.view() == key.hex().view());
}

TEST_CASE("Key and KeyText wipe their storage when destroyed")
{
    // Build each object in a buffer we own, destroy it explicitly, then look at the bytes left.
    alignas(Key) unsigned char key_storage[sizeof(Key)];
    Key* key = new (key_storage) Key(Key::generate_private());
    REQUIRE_FALSE(key->is_zero());
    key->~Key();
    CHECK(std::all_of(key_storage, key_storage + sizeof key_storage, [](unsigned char b) { return b == 0; }));

    alignas(wgkit::KeyText) unsigned char text_storage[sizeof(wgkit::KeyText)];
    const Key secret = Key::generate_private();
    wgkit::KeyText* text = new (text_storage) wgkit::KeyText(secret.base64());
    REQUIRE(text->view().size() == 44);
    const std::string copy(text->view());
    text->~KeyText();
    const std::string_view left(reinterpret_cast<const char*>(text_storage), sizeof text_storage);
    CHECK(left.find(copy.substr(0, 8)) == std::string_view::npos);
}
