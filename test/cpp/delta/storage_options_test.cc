// Storage options to arrow::fs URIs, local listing and atomic put-if-absent.
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <thread>

#include <arrow/buffer.h>
#include <arrow/filesystem/localfs.h>
#include <gtest/gtest.h>

#include "delta_test_util.h"
#include "shoal/delta/arrow_engine.h"
#include "shoal/delta/delta_table.h"

namespace shoal::delta::test {
namespace {

std::string Uri(const std::string& location, const std::map<std::string, std::string>& options) {
  auto r = StorageUri(location, options);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() ? *r : "";
}

TEST(StorageOptionsTest, S3NamesCaseInsensitive) {
  EXPECT_EQ(Uri("s3://bucket/tables/t", {}), "s3://bucket/tables/t");
  EXPECT_EQ(Uri("s3a://bucket/t", {{"AWS_ACCESS_KEY_ID", "AK/1"},
                                   {"aws_secret_access_key", "s+e"},
                                   {"AWS_REGION", "eu-west-1"},
                                   {"aws_endpoint_url", "http://localhost:9000/"},
                                   {"AWS_ALLOW_HTTP", "true"}}),
            "s3://AK%2F1:s%2Be@bucket/t?region=eu-west-1&endpoint_override=localhost%3A9000"
            "&scheme=http");
  EXPECT_EQ(Uri("s3://b/t", {{"region", "us-east-1"}, {"endpoint", "https://minio:9000"}}),
            "s3://b/t?region=us-east-1&endpoint_override=minio%3A9000&scheme=https");
}

TEST(StorageOptionsTest, Errors) {
  auto unknown = StorageUri("s3://b/t", {{"aws_bogus", "1"}});
  ASSERT_FALSE(unknown.ok());
  EXPECT_CONTAINS(unknown.status().message(), "unknown storage option 'aws_bogus'");
  EXPECT_CONTAINS(unknown.status().message(), "aws_access_key_id");
  EXPECT_CONTAINS(unknown.status().message(), "aws_endpoint_url");
  auto half = StorageUri("s3://b/t", {{"aws_access_key_id", "a"}});
  ASSERT_FALSE(half.ok());
  EXPECT_CONTAINS(half.status().message(), "aws_secret_access_key");
  auto http = StorageUri("s3://b/t", {{"aws_endpoint_url", "http://localhost:1"}});
  ASSERT_FALSE(http.ok());
  EXPECT_CONTAINS(http.status().message(), "aws_allow_http");
  auto flag = StorageUri("s3://b/t", {{"aws_allow_http", "maybe"}});
  ASSERT_FALSE(flag.ok());
  EXPECT_CONTAINS(flag.status().message(), "true or false");
  auto token = StorageUri("s3://b/t", {{"AWS_SESSION_TOKEN", "x"}});
  ASSERT_FALSE(token.ok());
  EXPECT_CONTAINS(token.status().message(), "aws_session_token needs aws_access_key_id");
  auto scheme = StorageUri("ftp://h/t", {});
  ASSERT_FALSE(scheme.ok());
  EXPECT_CONTAINS(scheme.status().message(), "not supported");
  // Local tables take no storage options.
  auto local = OpenStorage("/tmp/x", {{"aws_region", "x"}});
  ASSERT_FALSE(local.ok());
  EXPECT_CONTAINS(local.status().message(), "unknown option 'aws_region'");
}

TEST(StorageOptionsTest, S3SessionTokenGoesToFactoryOptions) {
  auto r = ResolveStorage("s3://b/t", {{"aws_access_key_id", "AK"},
                                       {"aws_secret_access_key", "SK"},
                                       {"aws_session_token", "TOK/="},
                                       {"aws_region", "us-east-1"}});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->uri, "s3://b/t?region=us-east-1");  // no keys in the URI
  std::vector<std::pair<std::string, std::string>> want = {
      {"access_key", "AK"}, {"secret_key", "SK"}, {"session_token", "TOK/="}};
  EXPECT_EQ(r->factory_options, want);
  auto plain = ResolveStorage("s3://b/t", {{"aws_access_key_id", "AK"},
                                           {"aws_secret_access_key", "SK"}});
  ASSERT_TRUE(plain.ok());
  EXPECT_TRUE(plain->factory_options.empty());
  EXPECT_EQ(plain->uri, "s3://AK:SK@b/t");
}

TEST(StorageOptionsTest, AzureSasToken) {
  EXPECT_EQ(Uri("abfss://data@acct.dfs.core.windows.net/t",
                {{"azure_storage_sas_key", "?sv=2024-01-01&ss=b&sig=a%2Bb"}}),
            "abfss://acct@data/t?sv=2024-01-01&ss=b&sig=a%2Bb");
  EXPECT_EQ(Uri("abfs://data/t", {{"account_name", "acct"}, {"SAS_TOKEN", "sv=1&sig=x"},
                                  {"allow_http", "true"}}),
            "abfs://acct@data/t?enable_tls=false&sv=1&sig=x");
  auto both = StorageUri("abfs://data/t", {{"account_name", "acct"}, {"sas_token", "sv=1"},
                                           {"account_key", "k"}});
  ASSERT_FALSE(both.ok());
  EXPECT_CONTAINS(both.status().message(), "one credential");
  // Arrow accepts the SAS form without network IO.
  auto opened = OpenStorage("abfs://data/tables/t", {{"azure_storage_account_name", "acct"},
                                                     {"sas_token", "sv=2024-01-01&sig=x"}});
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  EXPECT_EQ(opened->first->type_name(), "abfs");
}

TEST(StorageOptionsTest, GcsAndAzure) {
  EXPECT_EQ(Uri("gs://bucket/t", {{"GOOGLE_ENDPOINT", "http://localhost:4443"}}),
            "gs://bucket/t?endpoint_override=localhost%3A4443&scheme=http");
  auto gcs = StorageUri("gs://bucket/t", {{"aws_region", "x"}});
  ASSERT_FALSE(gcs.ok());
  EXPECT_CONTAINS(gcs.status().message(), "google_endpoint");
  EXPECT_EQ(Uri("abfss://data@acct.dfs.core.windows.net/t",
                {{"AZURE_STORAGE_ACCOUNT_KEY", "k=="}}),
            "abfss://acct:k%3D%3D@data/t");
  EXPECT_EQ(Uri("az://data/t", {{"azure_storage_account_name", "acct"},
                                {"azure_storage_client_id", "c"},
                                {"azure_storage_client_secret", "s"},
                                {"azure_storage_tenant_id", "t"}}),
            "abfs://acct@data/t?client_id=c&client_secret=s&tenant_id=t");
  EXPECT_EQ(Uri("abfs://data/t", {{"azure_storage_use_emulator", "true"}}),
            "abfs://devstoreaccount1@data/t?blob_storage_authority=127.0.0.1%3A10000"
            "&enable_tls=false");
  auto no_account = StorageUri("abfs://data/t", {});
  ASSERT_FALSE(no_account.ok());
  EXPECT_CONTAINS(no_account.status().message(), "azure_storage_account_name");
}

TEST(StorageOptionsTest, AzureOpensThroughArrow) {
  // The Azure file system is in libarrow: the URI is accepted without network IO.
  auto opened = OpenStorage("abfs://data/tables/t", {{"azure_storage_account_name", "acct"},
                                                     {"azure_storage_account_key", "a2V5"}});
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  EXPECT_EQ(opened->first->type_name(), "abfs");
  EXPECT_EQ(opened->second, "data/tables/t");
}

class LocalStorageTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("dread_storage_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    fs_ = std::make_shared<arrow::fs::LocalFileSystem>();
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::filesystem::path dir_;
  std::shared_ptr<arrow::fs::FileSystem> fs_;
};

TEST_F(LocalStorageTest, PutIfAbsentIsAtomicAcrossThreads) {
  auto storage = MakeArrowStorageHandler(fs_);
  std::string target = (dir_ / "_delta_log" / "00000000000000000000.json").string();
  std::atomic<int> won{0}, lost{0}, failed{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t]() {
      Status st = storage->PutIfAbsent(target, arrow::Buffer::FromString("writer " + std::to_string(t)));
      if (st.ok()) {
        ++won;
      } else if (st.IsAlreadyExists()) {
        ++lost;
      } else {
        ++failed;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(won.load(), 1);
  EXPECT_EQ(lost.load(), 7);
  EXPECT_EQ(failed.load(), 0);
  // No temporary files are left behind; the listing sees only the commit.
  DELTA_ASSERT_OK_AND_ASSIGN(auto listed, storage->ListFrom((dir_ / "_delta_log" / "0").string()));
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_EQ(listed[0].location, target);
  EXPECT_GT(listed[0].size, 0);
  EXPECT_GT(listed[0].last_modified_ms, 0);
}

TEST_F(LocalStorageTest, ListFromSkipsEarlierNamesAndDirectories) {
  auto storage = MakeArrowStorageHandler(fs_);
  for (const char* name : {"a.json", "b.json", "c.json"}) {
    DELTA_ASSERT_OK(storage->PutIfAbsent((dir_ / name).string(), arrow::Buffer::FromString("x")));
  }
  std::filesystem::create_directories(dir_ / "b.dir");
  DELTA_ASSERT_OK_AND_ASSIGN(auto listed, storage->ListFrom((dir_ / "b").string()));
  ASSERT_EQ(listed.size(), 2u);
  EXPECT_EQ(listed[0].location, (dir_ / "b.json").string());
  EXPECT_EQ(listed[1].location, (dir_ / "c.json").string());
  auto missing = storage->ListFrom((dir_ / "nope" / "x").string());
  ASSERT_FALSE(missing.ok());
  EXPECT_CONTAINS(missing.status().message(), "does not exist");
}

TEST_F(LocalStorageTest, UnknownOptionOnLocalTable) {
  DeltaTableOptions options;
  options.storage_options["aws_bogus"] = "1";
  auto table = DeltaTableProvider::Make(dir_.string(), options);
  ASSERT_FALSE(table.ok());
  EXPECT_CONTAINS(table.status().message(), "aws_bogus");
}

}  // namespace
}  // namespace shoal::delta::test
