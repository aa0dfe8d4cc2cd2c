# E12: a one-layer network (PyTorch autograd tutorial, autogradqs_tutorial)
import torch

torch.manual_seed(0)
x = torch.ones(5)  # 输入张量
y = torch.zeros(3)  # 期望输出
w = torch.randn(5, 3, requires_grad=True)  # 参数w
b = torch.randn(3, requires_grad=True)  # 参数b
z = torch.matmul(x, w) + b  # 神经网络前向传播
loss = torch.nn.functional.binary_cross_entropy_with_logits(z, y)  # 二分类损失函数

print(f"变量 z 的梯度函数为:{z.grad_fn}")
print(f"变量 loss 的梯度函数为:{loss.grad_fn}")

loss.backward()
print(w.grad)
print(b.grad)

z = torch.matmul(x, w) + b
print(z.requires_grad)

with torch.no_grad():
    z = torch.matmul(x, w) + b
print(z.requires_grad)

z = torch.matmul(x, w) + b
z_det = z.detach()
print(z_det.requires_grad)
