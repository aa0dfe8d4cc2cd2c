# E11: logistic regression, the five steps (notes: 逻辑回归, "autograd与逻辑回归")
# Run it with `diffexplain run examples/notes/e11.py --max-calls 1`: the first SGD step's
# gradient is explained; the other steps still run and are reported.
import torch
import torch.nn as nn

torch.manual_seed(1)

# 第一步:生成数据
sample_nums = 100
mean_value = 1.7
bias = 1
n_data = torch.ones(sample_nums, 2)
x0 = torch.normal(mean_value * n_data, 1) + bias
y0 = torch.zeros(sample_nums)
x1 = torch.normal(-mean_value * n_data, 1) + bias
y1 = torch.ones(sample_nums)
train_x = torch.cat((x0, x1), 0)
train_y = torch.cat((y0, y1), 0)


# 第二步:选择模型
class LR(nn.Module):
    def __init__(self):
        super(LR, self).__init__()  # noqa: UP008  (as the notes write it)
        self.features = nn.Linear(2, 1)
        self.sigmoid = nn.Sigmoid()

    def forward(self, x):
        x = self.features(x)
        x = self.sigmoid(x)
        return x


lr_net = LR()

# 第三步:选择损失函数
loss_fn = nn.BCELoss()

# 第四步:选择优化器
lr = 0.01
optimizer = torch.optim.SGD(lr_net.parameters(), lr=lr, momentum=0.9)

# 第五步:训练模型
for iteration in range(1000):
    y_pred = lr_net(train_x)
    loss = loss_fn(y_pred.squeeze(), train_y)
    loss.backward()
    optimizer.step()
    optimizer.zero_grad()

    if iteration % 20 == 0:
        mask = y_pred.ge(0.5).float().squeeze()
        correct = (mask == train_y).sum()
        acc = correct.item() / train_y.size(0)
        if acc > 0.99:
            w0, w1 = lr_net.features.weight[0]
            print(f"iteration {iteration}: loss {loss.item():.4f}, w0 {w0.item():.4f}, "
                  f"w1 {w1.item():.4f}, b {lr_net.features.bias[0].item():.4f}, accuracy {acc:.1%}")
            break
