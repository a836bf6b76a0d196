#include "collectors/promapi/client.h"

#include <gtest/gtest.h>

namespace keelson::promapi {
namespace {

TEST(ParseQueryResponse, VectorScalarAndErrors) {
  auto vec = parseQueryResponse(200, R"({"status":"success","data":{"resultType":"vector","result":[
    {"metric":{"pod":"a"},"value":[1700000000.1,"0.25"]},
    {"metric":{"pod":"b"},"value":[1700000000.1,"NaN"]},
    {"metric":{"pod":"c"},"value":[1700000000.1,"+Inf"]},
    {"metric":{"pod":"d"},"value":[1700000000.1,"3"]}]}})");
  ASSERT_TRUE(vec.ok());
  ASSERT_EQ(vec->size(), 2u);
  EXPECT_EQ((*vec)[0].labels.at("pod"), "a");
  EXPECT_DOUBLE_EQ((*vec)[0].value, 0.25);
  EXPECT_DOUBLE_EQ((*vec)[1].value, 3.0);

  auto scalar = parseQueryResponse(
      200, R"({"status":"success","data":{"resultType":"scalar","result":[1.5,"42"]}})");
  ASSERT_TRUE(scalar.ok());
  ASSERT_EQ(scalar->size(), 1u);
  EXPECT_DOUBLE_EQ((*scalar)[0].value, 42.0);

  auto nanScalar = parseQueryResponse(
      200, R"({"status":"success","data":{"resultType":"scalar","result":[1.5,"NaN"]}})");
  ASSERT_TRUE(nanScalar.ok());
  EXPECT_TRUE(nanScalar->empty());

  auto empty =
      parseQueryResponse(200, R"({"status":"success","data":{"resultType":"vector","result":[]}})");
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->empty());

  auto bad = parseQueryResponse(
      400, R"({"status":"error","errorType":"bad_data","error":"parse error at char 3"})");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().reason, "QueryError");
  EXPECT_NE(bad.error().message.find("parse error at char 3"), std::string::npos);

  EXPECT_EQ(parseQueryResponse(502, "Bad Gateway").error().reason, "BadResponse");
  // Credentials refused: a sentence saying so, whatever the body (Prometheus answers text).
  auto refused = parseQueryResponse(401, "Unauthorized\n");
  EXPECT_EQ(refused.error().reason, "Unauthorized");
  EXPECT_EQ(refused.error().message,
            "Prometheus refused the request (HTTP 401 Unauthorized): check the credentials it was "
            "given");
  EXPECT_EQ(parseQueryResponse(403, "").error().reason, "Unauthorized");
  EXPECT_EQ(
      parseQueryResponse(200, R"({"status":"success","data":{"resultType":"matrix","result":[]}})")
          .error()
          .reason,
      "QueryError");
}

}  // namespace
}  // namespace keelson::promapi
